/** A real 2×2 RGB PNG (red and green rows) as a data URI: the positive control of the image tests. */
export const TINY_PNG_DATA_URI =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8AARGDiPwMAHfAD/aAzCYkAAAAASUVORK5CYII=";

/** The first 12 bytes of a JFIF JPEG (SOI, APP0 "JFIF"), enough for a signature check. */
export const JPEG_HEAD_DATA_URI = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQ==";
