/**
 * `source`'s bytes in pieces of exactly `size`, the last one shorter when the bytes run out. A piece
 * that lies within one input is a view of it; only a piece that spans inputs is copied (re-joining
 * everything held at each cut copied a 1 MiB read about eight times over for 64 KiB chunks).
 */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
	let held: Buffer[] = [];
	let heldBytes = 0;
	for await (const input of source) {
		let piece = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
		while (heldBytes + piece.length >= size) {
			const take = size - heldBytes;
			yield held.length === 0 ? piece.subarray(0, take) : Buffer.concat([...held, piece.subarray(0, take)]);
			piece = piece.subarray(take);
			held = [];
			heldBytes = 0;
		}
		if (piece.length > 0) {
			held.push(piece);
			heldBytes += piece.length;
		}
	}
	if (heldBytes > 0) yield Buffer.concat(held);
}

/** All of `source`'s bytes in one buffer (small things: a header, a `.part`, a picture). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
	const pieces: Buffer[] = [];
	for await (const piece of source) pieces.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
	return Buffer.concat(pieces);
}
