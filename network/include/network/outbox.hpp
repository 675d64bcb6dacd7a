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
    std::string caseNumber; // the leased case number sealed in it, "" if none
};

// A filing central refused for good (a 4xx that sending it again cannot change): kept with the
// same sealed bytes, never sent again by itself, until a technician releases it (release()).
struct HeldFiling {
    std::string id;
    std::string reason; // a refusal code such as "http-422": never personal data
    Clock::time_point heldAt;
    Clock::time_point createdAt;
    std::int64_t attempts = 0; // posts until it was held
    std::string caseNumber; // the leased case number sealed in it, "" if none
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
    // The oldest waiting (not held) row whose next attempt is due at now, if any, leaving out the
    // ids in skip.
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
    // Rows waiting to be sent (held rows not counted).
    std::size_t count();
    // When the oldest waiting row was stored, if there are rows.
    std::optional<Clock::time_point> oldestCreatedAt();
    // The ids of the waiting rows, oldest first.
    std::vector<std::string> ids();
    // The value of PRAGMA name on this connection, as text (tests: journal_mode, synchronous,
    // secure_delete). name is lower-case letters and '_' only; throws std::invalid_argument else.
    std::string pragma(const std::string& name);

    // --- Held filings (network/README.md, "Held filings"). Moves a waiting row to held with a
    // reason code (no personal data) and the time, in one durable update; nothing happens if the
    // row is gone or held already. nextDue(), earliestAttempt(), count(), ids() leave held rows
    // out; remove() still deletes one.
    void hold(const std::string& id, const std::string& reason, Clock::time_point now);
    std::size_t heldCount();
    // When the row held longest was held, if there is one.
    std::optional<Clock::time_point> oldestHeldAt();
    // The held rows, held longest first.
    std::vector<HeldFiling> held();
    // Puts the held row id (or, with nullopt, every held row) back in the queue, due now, with its
    // attempts counted from 0 again. Returns how many rows it released (0: no such held row).
    std::size_t release(const std::optional<std::string>& id, Clock::time_point now);

    // --- Case-number leases (network/case_lease.hpp), kept in the same database so that taking a
    // number and storing the filing that carries it are one transaction.
    // Keeps a verified lease (its signed body, to verify again on load) and its numbers; a lease
    // or number already kept is left as it is (a used number stays used). One durable transaction.
    void addLease(const std::string& signedBody, const std::string& leaseId,
        const std::vector<std::string>& numbers, Clock::time_point expiresAt);
    struct StoredLease {
        std::string leaseId;
        std::string signedBody;
    };
    std::vector<StoredLease> leases();
    // Forgets a lease that no longer verifies, and its unused numbers (used ones stay: they are
    // never taken again).
    void dropLease(const std::string& leaseId);
    struct FreeNumber {
        std::string leaseId;
        std::string caseNumber;
    };
    // The next number to take: unused, from the unexpired lease (expiring after `until`) that
    // expires first, in the lease's order.
    std::optional<FreeNumber> nextLeasedNumber(Clock::time_point until);
    // Unused numbers in leases that expire after `until`.
    std::size_t unusedLeasedNumbers(Clock::time_point until);
    // add() for a filing that carries caseNumber: marks the number used and inserts the row in one
    // durable transaction. Throws sqlite::SqliteError (nothing written) if the number is not an
    // unused leased one.
    void addWithLeasedNumber(const std::string& id, std::span<const unsigned char> envelope,
        Clock::time_point now, const std::string& caseNumber);

private:
    // count(*) and min(column) over the rows matching condition (fixed SQL text, never input).
    std::size_t countWhere(std::string_view condition);
    std::optional<Clock::time_point> earliestWhere(
        std::string_view column, std::string_view condition);

    sqlite::Database db_;
};

// A random (version 4) UUID from RAND_bytes, lower-case text form.
std::string newUuid();

} // namespace shensu::network
