// One command object per verb, shared by the CLI and (later) HTTP (DESIGN.md, src/api).
export interface Command<I, O> {
  readonly name: string;
  readonly summary: string;
  run(input: I): O | Promise<O>;
}
