import { describe, expect, it } from 'vitest';
import { gridFor, layerFor, simulcastEncodings } from './layout';

const shape = (count: number, width = 1600, height = 900) => {
	const g = gridFor(count, width, height);
	return `${g.cols}x${g.rows}`;
};

describe('gridFor', () => {
	it('grows 1, 2, 2x2, 3x3, 4x4 on a wide screen', () => {
		expect(shape(1)).toBe('1x1');
		expect(shape(2)).toBe('2x1');
		expect(shape(3)).toBe('2x2');
		expect(shape(4)).toBe('2x2');
		expect(shape(7)).toBe('3x3');
		expect(shape(9)).toBe('3x3');
		expect(shape(10)).toBe('4x3');
		expect(shape(16)).toBe('4x4');
		expect(shape(17)).toBe('5x4');
		expect(shape(25)).toBe('5x5');
	});

	it('drops an empty row: 5 and 6 fit in 3x2', () => {
		expect(shape(5)).toBe('3x2');
		expect(shape(6)).toBe('3x2');
	});

	it('stacks on a tall (phone) screen, where a column gives the larger tiles', () => {
		expect(shape(1, 360, 640)).toBe('1x1');
		expect(shape(2, 360, 640)).toBe('1x2');
		expect(shape(3, 360, 640)).toBe('1x3');
		expect(shape(6, 360, 640)).toBe('1x6');
		// A tall but wide enough space: two columns win.
		expect(shape(6, 900, 1000)).toBe('2x3');
	});

	it('gives tiles at least as large as any other layout would', () => {
		for (const [n, w, h] of [
			[3, 1264, 576],
			[5, 360, 640],
			[7, 1600, 900],
			[12, 800, 800]
		]) {
			const best = gridFor(n, w, h).tileWidth;
			for (let cols = 1; cols <= n; cols++) {
				const rows = Math.ceil(n / cols);
				const other = Math.floor(Math.min((w - 8 * (cols - 1)) / cols, ((h - 8 * (rows - 1)) / rows) * (16 / 9)));
				expect(best).toBeGreaterThanOrEqual(other);
			}
		}
	});

	it('always has a cell for every tile', () => {
		for (let n = 1; n <= 60; n++) {
			for (const [w, h] of [
				[1600, 900],
				[360, 640],
				[800, 800]
			]) {
				const g = gridFor(n, w, h);
				expect(g.cols * g.rows).toBeGreaterThanOrEqual(n);
				expect(g.cols * (g.rows - 1)).toBeLessThan(n);
			}
		}
	});

	it('sizes 16:9 tiles that fit their cell', () => {
		const g = gridFor(4, 1600, 900, 10);
		// cells: 795 x 445; 16:9 limited by height: 445 * 16/9 = 791
		expect(g.tileHeight).toBe(445);
		expect(g.tileWidth).toBe(791);
		const phone = gridFor(2, 360, 640, 8);
		// cells: 360 x 316; limited by width
		expect(phone.tileWidth).toBe(360);
		expect(phone.tileHeight).toBe(202);
	});

	it('treats no space and no tiles safely', () => {
		expect(gridFor(0, 0, 0)).toEqual({ cols: 1, rows: 1, scrolls: false, tileWidth: 0, tileHeight: 0 });
		expect(gridFor(9, 0, 0, 8, 160).scrolls).toBe(false);
	});

	it('scrolls rather than shrink tiles below the minimum', () => {
		// 16 on a phone: 4x4 would be 84 px wide; 2 columns of 176 px, 8 rows to scroll through.
		const g = gridFor(16, 360, 500, 8, 160);
		expect(g).toMatchObject({ cols: 2, rows: 8, scrolls: true, tileWidth: 176, tileHeight: 99 });
		// Room enough: no scrolling.
		expect(gridFor(4, 1600, 900, 8, 160).scrolls).toBe(false);
		// A short, wide strip (under a shared screen): one row while it fits, then rows of the strip's height to scroll.
		expect(gridFor(6, 1200, 100, 8, 160)).toMatchObject({ cols: 6, rows: 1, scrolls: false, tileHeight: 100 });
		const strip = gridFor(12, 1200, 100, 8, 160);
		expect(strip).toMatchObject({ cols: 7, rows: 2, scrolls: true });
		expect(strip.tileHeight).toBeLessThanOrEqual(100);
	});
});

describe('layerFor', () => {
	it('picks the smallest layer at least as wide as the tile', () => {
		expect(layerFor(0)).toBe(0);
		expect(layerFor(200)).toBe(0);
		expect(layerFor(320)).toBe(0);
		expect(layerFor(321)).toBe(1);
		expect(layerFor(640)).toBe(1);
		expect(layerFor(641)).toBe(2);
		expect(layerFor(3000)).toBe(2);
	});

	it('counts device pixels', () => {
		expect(layerFor(200, 2)).toBe(1);
		expect(layerFor(400, 2)).toBe(2);
		expect(layerFor(200, 0.5)).toBe(0);
	});

	it('follows the camera size', () => {
		expect(layerFor(200, 1, 640)).toBe(1);
		expect(layerFor(400, 1, 640)).toBe(2);
	});
});

describe('simulcastEncodings', () => {
	it('sends ¼, ½ and full size, smallest first, with rising bitrates', () => {
		const e = simulcastEncodings();
		expect(e.map((x) => x.scaleResolutionDownBy)).toEqual([4, 2, 1]);
		expect(e[0].maxBitrate).toBeLessThan(e[1].maxBitrate);
		expect(e[1].maxBitrate).toBeLessThan(e[2].maxBitrate);
	});
});
