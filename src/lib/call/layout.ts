/**
 * The pure arithmetic of the group call view: how many columns and rows a grid of N tiles takes in a
 * given space, how big each tile is, and which simulcast layer a tile of that size should receive.
 */

export interface Grid {
	cols: number;
	rows: number;
	/** The tiles would be smaller than the minimum: fewer columns, and the grid scrolls (off-screen tiles pause). */
	scrolls: boolean;
	/** One tile's size in CSS pixels (0 when the space is empty). */
	tileWidth: number;
	tileHeight: number;
}

/** The tiles keep this shape (a camera's 16:9) inside their cell. */
const TILE_RATIO = 16 / 9;

/**
 * The grid for `count` tiles in `width` × `height` (CSS px) with `gap` between cells: 1, 2 side by
 * side (stacked when the space is taller than wide), 2×2 up to 4, 3×3 up to 9, 4×4 up to 16 and so on;
 * on a tall space (a phone held upright) the rows and columns swap, so the tiles stay large.
 */
export function gridFor(count: number, width: number, height: number, gap = 8, minTileWidth = 0): Grid {
	const n = Math.max(1, Math.floor(count));
	const side = Math.ceil(Math.sqrt(n));
	let cols: number;
	let rows: number;
	if (n === 2) [cols, rows] = [2, 1];
	else [cols, rows] = [side, Math.ceil(n / side)];
	// Square grids (1, 2×2, 3×3) keep their side; 2 in a row and 3×2 turn on a tall space.
	if (height > width && cols > rows) [cols, rows] = [rows, cols];
	// 3×3 holds 5 to 9, but 5 and 6 fit in 3×2: drop the empty row.
	while (cols * (rows - 1) >= n && rows > 1) rows--;
	while (rows * (cols - 1) >= n && cols > 1) cols--;
	const cellW = Math.max(0, (width - gap * (cols - 1)) / cols);
	const cellH = Math.max(0, (height - gap * (rows - 1)) / rows);
	// The largest 16:9 tile that fits the cell.
	const tileWidth = Math.min(cellW, cellH * TILE_RATIO);
	if (tileWidth < minTileWidth && width > 0 && height > 0) {
		// Too many for the space: as many columns of at least the minimum as fit, rows below to scroll to.
		const fit = Math.max(1, Math.min(cols, Math.floor((width + gap) / (minTileWidth + gap))));
		const w = Math.min((width - gap * (fit - 1)) / fit, height * TILE_RATIO);
		return { cols: fit, rows: Math.ceil(n / fit), scrolls: true, tileWidth: Math.floor(w), tileHeight: Math.floor(w / TILE_RATIO) };
	}
	return { cols, rows, scrolls: false, tileWidth: Math.floor(tileWidth), tileHeight: Math.floor(tileWidth / TILE_RATIO) };
}

/** A camera sends 3 simulcast layers: ¼, ½ and full size (layers 0, 1, 2). */
export const SIMULCAST_SCALES = [4, 2, 1] as const;

/**
 * The spatial layer a tile `tileWidth` CSS px wide wants on a screen of `pixelRatio`, for a camera
 * sending `sourceWidth` px at full size: the smallest layer at least as wide as the tile's device
 * pixels (and the largest when none is). A tile of 0 px (hidden) wants the smallest.
 */
export function layerFor(tileWidth: number, pixelRatio = 1, sourceWidth = 1280): 0 | 1 | 2 {
	const needed = Math.max(0, tileWidth) * Math.max(1, pixelRatio);
	for (let layer = 0; layer < SIMULCAST_SCALES.length; layer++) {
		if (sourceWidth / SIMULCAST_SCALES[layer] >= needed) return layer as 0 | 1 | 2;
	}
	return 2;
}

/** The simulcast encodings for a camera producer (mediasoup-client `encodings`), smallest first. */
export function simulcastEncodings(): { scaleResolutionDownBy: number; maxBitrate: number }[] {
	const bitrates = [150_000, 500_000, 1_500_000];
	return SIMULCAST_SCALES.map((scale, i) => ({ scaleResolutionDownBy: scale, maxBitrate: bitrates[i] }));
}
