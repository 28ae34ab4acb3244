/**
 * Files dragged over the chat: an overlay says where they go. dragenter/dragleave fire for every
 * child crossed, so they are counted and the overlay does not flicker.
 */
export class FileDrop {
	dragging = $state(false);
	private depth = 0;

	/** `onfiles` gets the files dropped (never an empty list). */
	constructor(private readonly onfiles: (files: File[]) => void) {}

	enter = (event: DragEvent) => {
		if (!hasFiles(event)) return;
		event.preventDefault();
		this.depth++;
		this.dragging = true;
	};

	over = (event: DragEvent) => {
		if (!hasFiles(event)) return;
		event.preventDefault();
		if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
	};

	leave = () => {
		this.depth = Math.max(0, this.depth - 1);
		if (this.depth === 0) this.dragging = false;
	};

	drop = (event: DragEvent) => {
		if (!hasFiles(event)) return;
		event.preventDefault();
		this.depth = 0;
		this.dragging = false;
		const files = [...(event.dataTransfer?.files ?? [])];
		if (files.length > 0) this.onfiles(files);
	};
}

const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
