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
    // The value of PRAGMA name on this connection, as text (tests: journal_mode, synchronous,
    // secure_delete). name is lower-case letters and '_' only; throws std::invalid_argument else.
    std::string pragma(const std::string& name);

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
    sqlite::Database db_;
};

// A random (version 4) UUID from RAND_bytes, lower-case text form.
std::string newUuid();

} // namespace shensu::network
