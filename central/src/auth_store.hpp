// The durable half of health-card logins: each card's consecutive wrong-password count, in
// central's SQLite database (table nhi_failures); the NhiCounterStorage of one central
// (storage.hpp; pg_store.hpp has the PostgreSQL one).
#pragma once

#include "storage.hpp"

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
class NhiCounter : public NhiCounterStorage
{
public:
    NhiCounter(const std::filesystem::path& db, const std::filesystem::path& keyFile);
    ~NhiCounter();
    NhiCounter(const NhiCounter&) = delete;
    NhiCounter& operator=(const NhiCounter&) = delete;
    // Counts an attempt before the password is checked (so a crash or a concurrent attempt can
    // never get an extra try): nullopt if the card already has maxFailures, else the count
    // including this attempt.
    std::optional<int> begin(const std::string& cardNumber, int maxFailures) override;
    // The card's consecutive wrong passwords so far, counting nothing (POST /v1/auth/nhi/status).
    int failures(const std::string& cardNumber) override;
    // The password was right: the count goes back to 0.
    void succeeded(const std::string& cardNumber) override;
    // The password could not be checked at all (an internal error): takes back one begin().
    void cancel(const std::string& cardNumber) override;

private:
    std::mutex mutex_;
    network::sqlite::Database db_;
    network::Bytes secret_;
};

// The counters' key file, shared by both implementations: the secret, or nullopt if the file does
// not exist; a new one written owner-only and synced; the key of a card under a secret.
std::optional<network::Bytes> readNhiSecret(const std::filesystem::path& file);
network::Bytes createNhiSecret(const std::filesystem::path& file);
std::string nhiCardKey(const network::Bytes& secret, const std::string& cardNumber);
// HMAC-SHA256 hex of "shensu-nhi-key-check": tells whether two key files are the same key.
std::string nhiKeyCheck(const network::Bytes& secret);

} // namespace shensu::central
