/** A module that forgot to export `loss`. */
export const lossFunction = "not here";
