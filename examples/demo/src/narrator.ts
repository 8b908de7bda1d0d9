/** Prints the demo's story: scene titles, indented facts, and the time since the start. */
export class Narrator {
  readonly #started = Date.now();

  scene(title: string): void {
    console.log(`\n▶ ${title}`);
  }

  say(text: string): void {
    console.log(`  ${text}`);
  }

  at(text: string): void {
    console.log(`  [t=${this.seconds()} s] ${text}`);
  }

  seconds(): string {
    return ((Date.now() - this.#started) / 1000).toFixed(1);
  }
}
