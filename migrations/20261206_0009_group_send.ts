import { PostgresAdapter, sql, type Kysely } from 'kysely';

// PostgreSQL only: a group message stored in one call that holds its thread's row lock for no client
// round trip (server/chat/messages/messages.repository.ts, insertGroupMessage). Other dialects keep
// the transaction of insertNext.
//
// The function is VOLATILE (the default), so under READ COMMITTED each statement in it takes a fresh
// snapshot: the member read after the seq bump sees every membership change committed before the bump
// got the lock (they take the same lock), none after. A sender who is no longer a member raises
// P0002, which undoes the bump and the insert: the seq is given back.
export async function up(db: Kysely<any>): Promise<void> {
	if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
	await sql`
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
			update thread_members set read_seq = v_seq, delivered_seq = v_seq where thread_id = p_thread and user_id = p_sender;
			return query select v_seq, v_members;
		end
		$$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
	await sql`drop function if exists parley_send_group(varchar, varchar, varchar, varchar, varchar, text, varchar, varchar)`.execute(db);
}
