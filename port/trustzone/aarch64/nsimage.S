// SPDX-License-Identifier: BSD-2-Clause
// The normal-world image, carried inside the secure image (flash) until EL3 copies it to non-secure RAM.
    .section .nsimage, "a"
    .incbin NS_IMAGE_BIN
