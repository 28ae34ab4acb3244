import type { ErrorBody } from './errors';

/** Every socket request's acknowledgement. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: Omit<ErrorBody, 'fields'> & { fields?: Record<string, string> } };
export type AckCallback<T extends object = object> = (response: Ack<T>) => void;

export type SessionEndReason = 'logout' | 'replaced' | 'password_changed';

/** Events the server emits to clients. */
export interface ServerToClientEvents {
	'session:ended': (payload: { reason: SessionEndReason }) => void;
}

/** Requests clients send, each with an ack. */
export interface ClientToServerEvents {
	'session:whoami': (payload: Record<string, never>, ack: AckCallback<{ userId: string }>) => void;
}
