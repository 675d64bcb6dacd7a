// The SQLite outbox of sealed filings, and UUIDv4 ids.
#include <network/outbox.hpp>

namespace shensu::network
{

namespace
{
    std::int64_t toMs(Clock::time_point t)
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    }
    Clock::time_point fromMs(std::int64_t ms)
    {
        return Clock::time_point(
            std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
    }
} // namespace

Outbox::Outbox(const std::filesystem::path& file)
    : db_(file)
{
    // journal_mode is stored in the file; synchronous and secure_delete are per connection: set
    // them every open.
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("PRAGMA secure_delete=ON");
    db_.exec("CREATE TABLE IF NOT EXISTS outbox ("
             " id TEXT PRIMARY KEY,"
             " envelope BLOB NOT NULL,"
             " created_at INTEGER NOT NULL,"
             " attempts INTEGER NOT NULL DEFAULT 0,"
             " next_attempt_at INTEGER NOT NULL)");
}

void Outbox::add(
    const std::string& id, std::span<const unsigned char> envelope, Clock::time_point now)
{
    // Set on every add, not trusted from remove(): if remove() could not put FULL back, an add
    // must not report success before the row is on disk. (A pragma, no I/O.)
    db_.exec("PRAGMA synchronous=FULL");
    db_.prepare("INSERT INTO outbox (id, envelope, created_at, attempts, next_attempt_at) VALUES "
                "(?, ?, ?, 0, ?)")
        .bind(1, id)
        .bind(2, envelope)
        .bind(3, toMs(now))
        .bind(4, toMs(now))
        .run();
}

std::optional<OutboxEntry> Outbox::nextDue(Clock::time_point now, const std::set<std::string>& skip)
{
    auto due = db_.prepare("SELECT id FROM outbox WHERE next_attempt_at <= ?"
                           " ORDER BY created_at, rowid LIMIT ?");
    due.bind(1, toMs(now)).bind(2, static_cast<std::int64_t>(skip.size() + 1));
    while (due.step()) {
        const std::string id = due.columnText(0);
        if (skip.contains(id)) continue;
        auto stmt = db_.prepare(
            "SELECT id, envelope, created_at, attempts, next_attempt_at FROM outbox WHERE id = ?");
        stmt.bind(1, id);
        if (!stmt.step()) return std::nullopt;
        return OutboxEntry { stmt.columnText(0), stmt.columnBlob(1), fromMs(stmt.columnInt(2)),
            stmt.columnInt(3), fromMs(stmt.columnInt(4)) };
    }
    return std::nullopt;
}

std::optional<Clock::time_point> Outbox::earliestAttempt(const std::set<std::string>& skip)
{
    auto stmt
        = db_.prepare("SELECT id, next_attempt_at FROM outbox ORDER BY next_attempt_at LIMIT ?");
    stmt.bind(1, static_cast<std::int64_t>(skip.size() + 1));
    while (stmt.step()) {
        if (!skip.contains(stmt.columnText(0))) return fromMs(stmt.columnInt(1));
    }
    return std::nullopt;
}

void Outbox::markAttempt(const std::string& id, Clock::time_point nextAttemptAt)
{
    db_.prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?")
        .bind(1, toMs(nextAttemptAt))
        .bind(2, id)
        .run();
}

void Outbox::makeAllDue(Clock::time_point now)
{
    db_.prepare("UPDATE outbox SET next_attempt_at = ? WHERE next_attempt_at > ?")
        .bind(1, toMs(now))
        .bind(2, toMs(now))
        .run();
}

void Outbox::remove(const std::string& id, bool scrub)
{
    // One fsync fewer per filing while a backlog drains; the next durable add() (FULL) syncs the
    // WAL, this delete's frames with it.
    // A lost delete is answered, not duplicated: the row comes back after a power cut and is
    // resent, and central replays the stored receipt for its submission id (as long as central's
    // database is kept; central/README.md, "Upgrades").
    struct RestoreFull {
        sqlite::Database& db;
        ~RestoreFull()
        {
            try {
                db.exec("PRAGMA synchronous=FULL");
            } catch (...) { // add() sets FULL again itself
            }
        }
    };
    db_.exec("PRAGMA synchronous=NORMAL");
    {
        RestoreFull restore { db_ };
        db_.prepare("DELETE FROM outbox WHERE id = ?").bind(1, id).run();
    }
    if (scrub) this->scrub();
}

void Outbox::scrub()
{
    // secure_delete zeroes the main file only; the deleted page images stay in the -wal until it is
    // truncated.
    db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

std::size_t Outbox::count()
{
    auto stmt = db_.prepare("SELECT count(*) FROM outbox");
    stmt.step();
    return static_cast<std::size_t>(stmt.columnInt(0));
}

std::optional<Clock::time_point> Outbox::oldestCreatedAt()
{
    auto stmt = db_.prepare("SELECT min(created_at) FROM outbox");
    if (!stmt.step() || stmt.columnIsNull(0)) return std::nullopt;
    return fromMs(stmt.columnInt(0));
}

std::vector<std::string> Outbox::ids()
{
    std::vector<std::string> out;
    auto stmt = db_.prepare("SELECT id FROM outbox ORDER BY created_at, rowid");
    while (stmt.step())
        out.push_back(stmt.columnText(0));
    return out;
}

std::string newUuid()
{
    Bytes b = openssl::randomBytes(16);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
    const std::string h = openssl::hex(b);
    return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4)
        + '-' + h.substr(20);
}

} // namespace shensu::network
