import {
	availabilityQuery,
	chatTicketRequest,
	loginRequest,
	passwordCheckRequest,
	passwordResetRequest,
	registerRequest,
	verificationRequest,
	type AvailabilityResponse,
	type ChatEndpoint,
	type ChatTicketResponse,
	type LoginResponse,
	type PasswordCheckResponse,
	type UserResponse,
	type VerificationResponse
} from '../../src/lib/protocol/index.js';
import { AppError } from '../errors.js';
import type { HttpContext, HttpResult, Route } from '../http/http.js';
import { validate } from '../validate.js';
import type { Authenticated, AuthService } from './auth.service.js';
import { clearedSessionCookie, SESSION_COOKIE, sessionCookie } from './sessions.js';

export interface AuthHandlerOptions {
	auth: AuthService;
	/** Marks cookies Secure (PUBLIC_URL is https). */
	secureCookies: boolean;
	sessionDays: number;
}

/**
 * The token from `Authorization: Bearer …`, else from the session cookie. Another scheme does not hide
 * the cookie: a browser behind a proxy with HTTP Basic auth sends `Authorization: Basic …` every time.
 */
export function tokenOf(ctx: HttpContext): string | undefined {
	const header = ctx.req.headers.authorization;
	const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
	if (bearer) return bearer[1];
	return ctx.cookies[SESSION_COOKIE];
}

export async function requireSession(auth: AuthService, ctx: HttpContext): Promise<Authenticated> {
	const session = await auth.authenticate(tokenOf(ctx));
	if (!session) throw new AppError('unauthorized', 'sign in first: no valid session token or cookie');
	return session;
}

const ok = <T>(status: number, body?: T): HttpResult => ({ status, body });

/** The gateway half of PROTOCOL.md section 1, one small handler per call. */
export function authRoutes({ auth, secureCookies, sessionDays }: AuthHandlerOptions): Route[] {
	return [
		{
			method: 'POST',
			path: '/api/auth/verification',
			handler: async (ctx) => ok<VerificationResponse>(202, await auth.requestCode(validate(verificationRequest, await ctx.json()), ctx.ip))
		},
		{
			method: 'GET',
			path: '/api/auth/availability',
			handler: async (ctx) => {
				const query = Object.fromEntries(ctx.url.searchParams);
				return ok<AvailabilityResponse>(200, await auth.availability(validate(availabilityQuery, query), ctx.ip));
			}
		},
		{
			method: 'POST',
			path: '/api/auth/password-check',
			handler: async (ctx) => ok<PasswordCheckResponse>(200, await auth.passwordCheck(validate(passwordCheckRequest, await ctx.json()), ctx.ip))
		},
		{
			method: 'POST',
			path: '/api/auth/register',
			handler: async (ctx) => ok<UserResponse>(201, { user: await auth.register(validate(registerRequest, await ctx.json())) })
		},
		{
			method: 'POST',
			path: '/api/auth/password-reset',
			handler: async (ctx) => {
				await auth.resetPassword(validate(passwordResetRequest, await ctx.json()));
				return ok(204);
			}
		},
		{
			method: 'POST',
			path: '/api/auth/login',
			handler: async (ctx) => {
				const input = validate(loginRequest, await ctx.json());
				const { user, token, sessionId } = await auth.login(input, { ip: ctx.ip, userAgent: ctx.req.headers['user-agent'] ?? null });
				let chat: ChatEndpoint;
				try {
					chat = await auth.chatTicket({ sessionId, userId: user.id });
				} catch (error) {
					// The token never reaches the client, so nobody could use or end this session: drop it.
					await auth.logout(sessionId).catch(() => undefined);
					throw error;
				}
				return {
					status: 200,
					headers: { 'set-cookie': sessionCookie(token, { maxAgeSeconds: sessionDays * 86_400, secure: secureCookies }) },
					body: { user, token, chat } satisfies LoginResponse
				};
			}
		},
		{
			method: 'POST',
			path: '/api/auth/chat-ticket',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				const { avoid } = validate(chatTicketRequest, await ctx.json());
				return ok<ChatTicketResponse>(200, { chat: await auth.chatTicket({ sessionId: session.sessionId, userId: session.user.id }, { avoid }) });
			}
		},
		{
			method: 'POST',
			path: '/api/auth/logout',
			handler: async (ctx) => {
				const session = await requireSession(auth, ctx);
				await auth.logout(session.sessionId);
				return { status: 204, headers: { 'set-cookie': clearedSessionCookie(secureCookies) } };
			}
		},
		{
			method: 'GET',
			path: '/api/me',
			handler: async (ctx) => ok<UserResponse>(200, { user: (await requireSession(auth, ctx)).user })
		}
	];
}
