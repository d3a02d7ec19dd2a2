/**
 * Thrown while compiling FlowFilters, never while matching. The message follows the
 * wording Hubble uses for the same mistake, so a user sees the same text whether the
 * filter went to a real relay or to ours.
 */
export class FilterBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterBuildError";
  }
}
