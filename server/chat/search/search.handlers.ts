import type { messagesSearchRequest, MessagesSearchResponse } from '../../../src/lib/protocol/index.js';
import type { Handler } from '../chat.types.js';

export const searchMessages: Handler<typeof messagesSearchRequest, MessagesSearchResponse> = (ctx, input) => ctx.chat.search.search(ctx.userId, input);
