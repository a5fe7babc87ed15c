/**
 * Image decoding and preprocessing for image model inputs: decode (JPEG, PNG, GIF, BMP, TIFF, WebP
 * through ImageIO and the TwelveMonkeys plugins), orient by EXIF, convert to RGB or greyscale,
 * resize with Pillow's resampling filters, crop or pad, and write the pixels as a tensor row.
 * Shared by the driver (planning checks the options) and executors (every row); pure Java, no
 * native resources, and free of the planning and execution packages.
 */
package io.batchinfer.udfs.image;
