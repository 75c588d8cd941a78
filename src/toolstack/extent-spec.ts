// The part of a vNVDIMM config the toolstack acts on when it allocates and provisions.
import type { NamespaceRequest } from "./config/index.js";

export interface SizedVnvdimmLike {
  namespace?: NamespaceRequest;
}
