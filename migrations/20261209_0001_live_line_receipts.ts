import { PostgresAdapter, sql, type Kysely } from 'kysely';

// PostgreSQL only: a live stream's line (docs/PROTOCOL.md, "Live streams (extension)", kind `live`) is,
// like a call's, written for the streamer when the stream ends and says nothing of what they have read.
// `parley_send_group` (migrations 0009, then 20261208_0002) must not move the sender's read mark for it,
// as messages.repository.ts's `movesSenderReceipts` does not on the other dialects. Same signature:
// replaced in place, by the body of 20261208_0002 with `live` beside `call`.

const body = (receipts: string) => `
	create or replace function parley_send_group(
		p_id varchar, p_thread varchar, p_sender varchar, p_client varchar, p_kind varchar, p_text text, p_file varchar, p_created varchar
	) returns table (seq integer, member_ids varchar[])
	language plpgsql as $$
	declare
		v_seq integer;
		v_members varchar[];
	begin
		update threads set last_seq = last_seq + 1, updated_at = p_created where id = p_thread returning last_seq into v_seq;
		if v_seq is null then
			raise exception 'thread % not found', p_thread using errcode = 'P0002';
		end if;
		select array_agg(user_id) into v_members from thread_members where thread_id = p_thread;
		if v_members is null or not (p_sender = any(v_members)) then
			raise exception 'sender % is not a member of thread %', p_sender, p_thread using errcode = 'P0002';
		end if;
		insert into messages (id, thread_id, seq, sender_id, client_id, kind, text, file_id, created_at)
		values (p_id, p_thread, v_seq, p_sender, p_client, p_kind, p_text, p_file, p_created);
		${receipts}
		return query select v_seq, v_members;
	end
	$$`;

export async function up(db: Kysely<any>): Promise<void> {
	if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
	await sql.raw(body(`if p_kind not in ('call', 'live') then
			update thread_members set read_seq = v_seq, delivered_seq = v_seq where thread_id = p_thread and user_id = p_sender;
		end if;`)).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
	await sql.raw(body(`if p_kind <> 'call' then
			update thread_members set read_seq = v_seq, delivered_seq = v_seq where thread_id = p_thread and user_id = p_sender;
		end if;`)).execute(db);
}
