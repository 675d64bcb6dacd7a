// The SQLite outbox of sealed filings, and UUIDv4 ids.
#include <network/outbox.hpp>

#include <stdexcept>

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
    // Columns added since the first release: an outbox from before gets them on its next open,
    // its rows unchanged (case_number NULL: no leased number; held_at NULL: waiting to be sent).
    // case_number came with case-number leases; held_at (ms since the epoch when central refused
    // the filing for good) and held_reason (e.g. "http-422") with held filings. Checked again
    // inside a write transaction: shensu-ctl may open the same outbox at the same moment.
    const auto missingColumns = [this] {
        std::set<std::string> names;
        auto columns = db_.prepare("PRAGMA table_info(outbox)");
        while (columns.step())
            names.insert(columns.columnText(1));
        std::vector<std::string> missing;
        for (const char* wanted : { "case_number", "held_at", "held_reason" })
            if (!names.contains(wanted)) missing.emplace_back(wanted);
        return missing;
    };
    if (!missingColumns().empty()) {
        sqlite::Transaction tx(db_);
        for (const auto& column : missingColumns())
            db_.exec("ALTER TABLE outbox ADD COLUMN " + column
                + (column == "held_at" ? " INTEGER" : " TEXT"));
        tx.commit();
    }
    db_.exec("CREATE TABLE IF NOT EXISTS case_leases ("
             " lease_id TEXT PRIMARY KEY,"
             " signed_body TEXT NOT NULL,"
             " expires_at INTEGER NOT NULL)"); // ms since the epoch
    db_.exec("CREATE TABLE IF NOT EXISTS leased_numbers ("
             " case_number TEXT PRIMARY KEY,"
             " lease_id TEXT NOT NULL,"
             " position INTEGER NOT NULL,"
             " used INTEGER NOT NULL DEFAULT 0)");
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
    auto due = db_.prepare("SELECT id FROM outbox WHERE held_at IS NULL AND next_attempt_at <= ?"
                           " ORDER BY created_at, rowid LIMIT ?");
    due.bind(1, toMs(now)).bind(2, static_cast<std::int64_t>(skip.size() + 1));
    while (due.step()) {
        const std::string id = due.columnText(0);
        if (skip.contains(id)) continue;
        auto stmt = db_.prepare("SELECT id, envelope, created_at, attempts, next_attempt_at,"
                                " case_number FROM outbox WHERE id = ?");
        stmt.bind(1, id);
        if (!stmt.step()) return std::nullopt;
        return OutboxEntry { stmt.columnText(0), stmt.columnBlob(1), fromMs(stmt.columnInt(2)),
            stmt.columnInt(3), fromMs(stmt.columnInt(4)),
            stmt.columnIsNull(5) ? std::string() : stmt.columnText(5) };
    }
    return std::nullopt;
}

std::optional<Clock::time_point> Outbox::earliestAttempt(const std::set<std::string>& skip)
{
    auto stmt = db_.prepare("SELECT id, next_attempt_at FROM outbox WHERE held_at IS NULL"
                            " ORDER BY next_attempt_at LIMIT ?");
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
    db_.prepare(
           "UPDATE outbox SET next_attempt_at = ? WHERE held_at IS NULL AND next_attempt_at > ?")
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

std::size_t Outbox::countWhere(std::string_view condition)
{
    auto stmt = db_.prepare("SELECT count(*) FROM outbox WHERE " + std::string(condition));
    stmt.step();
    return static_cast<std::size_t>(stmt.columnInt(0));
}

std::optional<Clock::time_point> Outbox::earliestWhere(
    std::string_view column, std::string_view condition)
{
    auto stmt = db_.prepare(
        "SELECT min(" + std::string(column) + ") FROM outbox WHERE " + std::string(condition));
    if (!stmt.step() || stmt.columnIsNull(0)) return std::nullopt;
    return fromMs(stmt.columnInt(0));
}

std::size_t Outbox::count()
{
    return countWhere("held_at IS NULL");
}

std::optional<Clock::time_point> Outbox::oldestCreatedAt()
{
    return earliestWhere("created_at", "held_at IS NULL");
}

std::vector<std::string> Outbox::ids()
{
    std::vector<std::string> out;
    auto stmt
        = db_.prepare("SELECT id FROM outbox WHERE held_at IS NULL ORDER BY created_at, rowid");
    while (stmt.step())
        out.push_back(stmt.columnText(0));
    return out;
}

void Outbox::hold(const std::string& id, const std::string& reason, Clock::time_point now)
{
    db_.exec("PRAGMA synchronous=FULL");
    db_.prepare("UPDATE outbox SET held_at = ?, held_reason = ?, attempts = attempts + 1"
                " WHERE id = ? AND held_at IS NULL")
        .bind(1, toMs(now))
        .bind(2, reason)
        .bind(3, id)
        .run();
}

std::size_t Outbox::heldCount()
{
    return countWhere("held_at IS NOT NULL");
}

std::optional<Clock::time_point> Outbox::oldestHeldAt()
{
    return earliestWhere("held_at", "held_at IS NOT NULL");
}

std::vector<HeldFiling> Outbox::held()
{
    std::vector<HeldFiling> out;
    auto stmt = db_.prepare("SELECT id, held_reason, held_at, created_at, attempts, case_number"
                            " FROM outbox WHERE held_at IS NOT NULL ORDER BY held_at, rowid");
    while (stmt.step())
        out.push_back({ stmt.columnText(0), stmt.columnIsNull(1) ? "" : stmt.columnText(1),
            fromMs(stmt.columnInt(2)), fromMs(stmt.columnInt(3)), stmt.columnInt(4),
            stmt.columnIsNull(5) ? std::string() : stmt.columnText(5) });
    return out;
}

std::size_t Outbox::release(const std::optional<std::string>& id, Clock::time_point now)
{
    db_.exec("PRAGMA synchronous=FULL");
    auto stmt = id ? db_.prepare("UPDATE outbox SET held_at = NULL, held_reason = NULL,"
                                 " attempts = 0, next_attempt_at = ?"
                                 " WHERE held_at IS NOT NULL AND id = ?")
                   : db_.prepare("UPDATE outbox SET held_at = NULL, held_reason = NULL,"
                                 " attempts = 0, next_attempt_at = ? WHERE held_at IS NOT NULL");
    stmt.bind(1, toMs(now));
    if (id) stmt.bind(2, *id);
    stmt.run();
    return static_cast<std::size_t>(db_.changes());
}

std::string Outbox::pragma(const std::string& name)
{
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
        throw std::invalid_argument("not a pragma name");
    auto stmt = db_.prepare("PRAGMA " + name);
    return stmt.step() ? stmt.columnText(0) : std::string();
}

void Outbox::addLease(const std::string& signedBody, const std::string& leaseId,
    const std::vector<std::string>& numbers, Clock::time_point expiresAt)
{
    db_.exec("PRAGMA synchronous=FULL");
    sqlite::Transaction tx(db_);
    db_.prepare("INSERT OR IGNORE INTO case_leases (lease_id, signed_body, expires_at)"
                " VALUES (?, ?, ?)")
        .bind(1, leaseId)
        .bind(2, signedBody)
        .bind(3, toMs(expiresAt))
        .run();
    std::int64_t position = 0;
    for (const auto& number : numbers)
        db_.prepare("INSERT OR IGNORE INTO leased_numbers (case_number, lease_id, position)"
                    " VALUES (?, ?, ?)")
            .bind(1, number)
            .bind(2, leaseId)
            .bind(3, position++)
            .run();
    tx.commit();
}

std::vector<Outbox::StoredLease> Outbox::leases()
{
    std::vector<StoredLease> out;
    auto stmt = db_.prepare("SELECT lease_id, signed_body FROM case_leases ORDER BY rowid");
    while (stmt.step())
        out.push_back({ stmt.columnText(0), stmt.columnText(1) });
    return out;
}

void Outbox::dropLease(const std::string& leaseId)
{
    sqlite::Transaction tx(db_);
    db_.prepare("DELETE FROM leased_numbers WHERE lease_id = ? AND used = 0")
        .bind(1, leaseId)
        .run();
    db_.prepare("DELETE FROM case_leases WHERE lease_id = ?").bind(1, leaseId).run();
    tx.commit();
}

std::optional<Outbox::FreeNumber> Outbox::nextLeasedNumber(Clock::time_point until)
{
    auto stmt = db_.prepare("SELECT n.lease_id, n.case_number FROM leased_numbers n"
                            " JOIN case_leases l USING (lease_id)"
                            " WHERE n.used = 0 AND l.expires_at > ?"
                            " ORDER BY l.expires_at, l.rowid, n.position LIMIT 1");
    stmt.bind(1, toMs(until));
    if (!stmt.step()) return std::nullopt;
    return FreeNumber { stmt.columnText(0), stmt.columnText(1) };
}

std::size_t Outbox::unusedLeasedNumbers(Clock::time_point until)
{
    auto stmt = db_.prepare("SELECT count(*) FROM leased_numbers n JOIN case_leases l"
                            " USING (lease_id) WHERE n.used = 0 AND l.expires_at > ?");
    stmt.bind(1, toMs(until)).step();
    return static_cast<std::size_t>(stmt.columnInt(0));
}

void Outbox::addWithLeasedNumber(const std::string& id, std::span<const unsigned char> envelope,
    Clock::time_point now, const std::string& caseNumber)
{
    db_.exec("PRAGMA synchronous=FULL");
    sqlite::Transaction tx(db_);
    db_.prepare("UPDATE leased_numbers SET used = 1 WHERE case_number = ? AND used = 0")
        .bind(1, caseNumber)
        .run();
    if (db_.changes() != 1) throw sqlite::SqliteError("the leased case number is not free", 1);
    db_.prepare("INSERT INTO outbox (id, envelope, created_at, attempts, next_attempt_at,"
                " case_number) VALUES (?, ?, ?, 0, ?, ?)")
        .bind(1, id)
        .bind(2, envelope)
        .bind(3, toMs(now))
        .bind(4, toMs(now))
        .bind(5, caseNumber)
        .run();
    tx.commit();
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
