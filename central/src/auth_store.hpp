// The durable half of health-card logins: each card's consecutive wrong-password count, in
// central's SQLite database (table nhi_failures).
#pragma once

#include <network/openssl.hpp>
#include <network/sqlite.hpp>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace shensu::central
{

// Thread-safe. Cards are keyed by HMAC-SHA256 of their number under a 32-byte secret kept next to
// the database in keyFile (created at first start, mode 0600): 12-digit numbers are too few for
// an unkeyed hash to hide them, so the table alone does not tell which cards it holds. Central
// refuses to start if the key file is gone while the table still holds counts (losing it would
// silently unlock every locked card).
class NhiCounter
{
public:
    NhiCounter(const std::filesystem::path& db, const std::filesystem::path& keyFile);
    ~NhiCounter();
    NhiCounter(const NhiCounter&) = delete;
    NhiCounter& operator=(const NhiCounter&) = delete;
    // Counts an attempt before the password is checked (so a crash or a concurrent attempt can
    // never get an extra try): nullopt if the card already has maxFailures, else the count
    // including this attempt.
    std::optional<int> begin(const std::string& cardNumber, int maxFailures);
    // The card's consecutive wrong passwords so far, counting nothing (POST /v1/auth/nhi/status).
    int failures(const std::string& cardNumber);
    // The password was right: the count goes back to 0.
    void succeeded(const std::string& cardNumber);
    // The password could not be checked at all (an internal error): takes back one begin().
    void cancel(const std::string& cardNumber);

private:
    std::string cardKey(const std::string& cardNumber) const;
    std::mutex mutex_;
    network::sqlite::Database db_;
    network::Bytes secret_;
};

} // namespace shensu::central
