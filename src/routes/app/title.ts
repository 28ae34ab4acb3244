/** A page title with the unread count in front, so a background tab shows that something came: "(3) Chats · Parley". */
export function titleOf(name: string, unread: number): string {
	return `${unread > 0 ? `(${unread > 99 ? '99+' : unread}) ` : ''}${name} · Parley`;
}
