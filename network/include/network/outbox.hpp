// The outbox: sealed filings kept durably in SQLite until central has answered for them.
#pragma once

#include <network/openssl.hpp>
#include <network/sqlite.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace shensu::network
{

using Clock = std::chrono::system_clock;

struct OutboxEntry {
    std::string id; // UUID, also the Idempotency-Key
    Bytes envelope;
    Clock::time_point createdAt;
    std::int64_t attempts = 0;
    Clock::time_point nextAttemptAt;
};

// Not thread-safe: one owner, or guard it.
class Outbox
{
public:
    // Opens (creating if needed) with WAL, synchronous=FULL and secure_delete=ON. Throws
    // sqlite::SqliteError.
    explicit Outbox(const std::filesystem::path& file);

    // One durable autocommit insert: either the whole row is there or nothing is.
    void add(const std::string& id, std::span<const unsigned char> envelope, Clock::time_point now);
    // The oldest row whose next attempt is due at now, if any, leaving out the ids in skip.
    std::optional<OutboxEntry> nextDue(
        Clock::time_point now, const std::set<std::string>& skip = {});
    // When the earliest row not in skip becomes due (possibly in the past), if there is one.
    std::optional<Clock::time_point> earliestAttempt(const std::set<std::string>& skip = {});
    void markAttempt(const std::string& id, Clock::time_point nextAttemptAt);
    // Makes every waiting row due now (a fresh start retries at once).
    void makeAllDue(Clock::time_point now);
    // Deletes the row, then (scrub) checkpoints the WAL with TRUNCATE so the bytes leave the -wal
    // file too. The delete itself is not synced: lost in a power cut, the filing is sent again
    // and central answers the replay with the same receipt.
    void remove(const std::string& id, bool scrub = true);
    // The checkpoint of remove(id, true): deleted rows' bytes leave the -wal file.
    void scrub();
    std::size_t count();
    // When the oldest waiting row was stored, if there are rows.
    std::optional<Clock::time_point> oldestCreatedAt();
    // The ids of all rows, oldest first.
    std::vector<std::string> ids();

private:
    sqlite::Database db_;
};

// A random (version 4) UUID from RAND_bytes, lower-case text form.
std::string newUuid();

} // namespace shensu::network
