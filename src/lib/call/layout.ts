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
 * The grid for `count` tiles in `width` × `height` (CSS px) with `gap` between cells: the columns and
 * rows that give the largest 16:9 tiles, so on a wide screen 1, 2 side by side, 2×2 up to 4, 3×2, 3×3
 * up to 9, 4×4 up to 16…, and on a tall one (a phone held upright) a column. When even the best tiles
 * would be narrower than `minTileWidth`, as many columns of at least that as fit, and the grid scrolls.
 */
export function gridFor(count: number, width: number, height: number, gap = 8, minTileWidth = 0): Grid {
	const n = Math.max(1, Math.floor(count));
	const tileOf = (cols: number, rows: number) => {
		const cellW = Math.max(0, (width - gap * (cols - 1)) / cols);
		const cellH = Math.max(0, (height - gap * (rows - 1)) / rows);
		// The largest 16:9 tile that fits the cell.
		return Math.min(cellW, cellH * TILE_RATIO);
	};
	let best = { cols: 1, rows: n, tile: -1 };
	for (let cols = 1; cols <= n; cols++) {
		const rows = Math.ceil(n / cols);
		// A layout with a whole empty row or column is never better than the one without it.
		if (cols * (rows - 1) >= n || rows * (cols - 1) >= n) continue;
		const tile = tileOf(cols, rows);
		// Half a pixel is a tie: keep the fewer columns on a tall space and take more on a wide one.
		if (tile > best.tile + 0.5 || (Math.abs(tile - best.tile) <= 0.5 && width > height)) best = { cols, rows, tile };
	}
	if (best.tile < minTileWidth && width > 0 && height > 0) {
		const fit = Math.max(1, Math.min(n, Math.floor((width + gap) / (minTileWidth + gap))));
		const w = Math.min((width - gap * (fit - 1)) / fit, height * TILE_RATIO);
		return { cols: fit, rows: Math.ceil(n / fit), scrolls: true, tileWidth: Math.floor(w), tileHeight: Math.floor(w / TILE_RATIO) };
	}
	const tile = Math.max(0, best.tile);
	return { cols: best.cols, rows: best.rows, scrolls: false, tileWidth: Math.floor(tile), tileHeight: Math.floor(tile / TILE_RATIO) };
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
