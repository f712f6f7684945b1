/**
 * The bound parameters of one statement. Fragments of SQL are built with
 * `add(value)`, which returns the value's placeholder ($1, $2, …): values
 * never enter the SQL text, and fragments compose without counting by hand.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
