// The durable half of health-card logins: each card's consecutive wrong-password count, in
// central's SQLite database (table nhi_failures).
#pragma once

#include <network/sqlite.hpp>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace shensu::central
{

// Thread-safe. Cards are keyed by sha256 of their number, so the table holds no card numbers.
class NhiCounter
{
public:
    explicit NhiCounter(const std::filesystem::path& db);
    // Counts an attempt before the password is checked (so a crash or a concurrent attempt can
    // never get an extra try): nullopt if the card already has maxFailures, else the count
    // including this attempt.
    std::optional<int> begin(const std::string& cardNumber, int maxFailures);
    // The password was right: the count goes back to 0.
    void succeeded(const std::string& cardNumber);
    int failures(const std::string& cardNumber);

private:
    std::mutex mutex_;
    network::sqlite::Database db_;
};

} // namespace shensu::central
