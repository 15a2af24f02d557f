// Which job a chat message belongs to, for the messages this process posted or saw: reactions and
// buttons name only a message. Bounded, so a long-running bot does not grow without end; an entry
// that fell out is found again the adapter's own way (a job tag in the text, message metadata).
export class RecentIndex<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly limit: number) {}

  /** Adds or refreshes an entry; past the limit the least recently set ones are dropped. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    // A Map iterates in insertion order: the oldest entries are at the front.
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }
}
