import type {
	emptyRequest,
	Empty,
	friendsCancelRequest,
	FriendsListResponse,
	friendsRequestRequest,
	FriendsRequestResponse,
	friendsRespondRequest,
	FriendsRespondResponse,
	usersGetRequest,
	usersSearchRequest,
	UsersSearchResponse
} from '../../../src/lib/protocol/index.js';
import type { Handler } from '../chat.types.js';

// The people half of PROTOCOL.md section 2: one small handler per request.

export const searchUsers: Handler<typeof usersSearchRequest, UsersSearchResponse> = async (ctx, input) => ({
	users: await ctx.chat.users.search(ctx.userId, input)
});

export const requestFriend: Handler<typeof friendsRequestRequest, FriendsRequestResponse> = (ctx, input) => ctx.chat.friends.request(ctx.userId, input);

export const respondToFriend: Handler<typeof friendsRespondRequest, FriendsRespondResponse> = (ctx, input) => ctx.chat.friends.respond(ctx.userId, input);

export const cancelFriendRequest: Handler<typeof friendsCancelRequest, Empty> = async (ctx, input) => {
	await ctx.chat.friends.cancel(ctx.userId, input);
	return {};
};

export const listFriends: Handler<typeof emptyRequest, FriendsListResponse> = (ctx) => ctx.chat.friends.list(ctx.userId);

export const getUsers: Handler<typeof usersGetRequest, UsersSearchResponse> = async (ctx, input) => {
	const cards = await ctx.chat.users.cardsById(ctx.userId, input.userIds);
	return { users: input.userIds.flatMap((id, i) => (cards.has(id) && input.userIds.indexOf(id) === i ? [cards.get(id)!] : [])) };
};
