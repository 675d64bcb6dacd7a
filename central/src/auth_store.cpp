// The health-card failure counter in SQLite (WAL, synchronous=FULL).
#include "auth_store.hpp"

#include <network/openssl.hpp>

namespace shensu::central
{

namespace
{
    std::string cardKey(const std::string& cardNumber)
    {
        const std::string input = "shensu-nhi-card-v1:" + cardNumber;
        return network::openssl::hex(network::openssl::sha256(
            std::span(reinterpret_cast<const unsigned char*>(input.data()), input.size())));
    }
} // namespace

NhiCounter::NhiCounter(const std::filesystem::path& db)
    : db_(db)
{
    db_.exec("PRAGMA busy_timeout=5000");
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("CREATE TABLE IF NOT EXISTS nhi_failures ("
             " card TEXT PRIMARY KEY," // sha256 hex of the card number
             " failures INTEGER NOT NULL)");
}

std::optional<int> NhiCounter::begin(const std::string& cardNumber, int maxFailures)
{
    const std::string key = cardKey(cardNumber);
    std::lock_guard lock(mutex_);
    network::sqlite::Transaction transaction(db_);
    auto select = db_.prepare("SELECT failures FROM nhi_failures WHERE card = ?");
    select.bind(1, key);
    const int failures = select.step() ? static_cast<int>(select.columnInt(0)) : 0;
    if (failures >= maxFailures) return std::nullopt;
    auto upsert = db_.prepare("INSERT INTO nhi_failures (card, failures) VALUES (?, ?)"
                              " ON CONFLICT(card) DO UPDATE SET failures = excluded.failures");
    upsert.bind(1, key).bind(2, static_cast<std::int64_t>(failures + 1)).run();
    transaction.commit();
    return failures + 1;
}

void NhiCounter::succeeded(const std::string& cardNumber)
{
    const std::string key = cardKey(cardNumber);
    std::lock_guard lock(mutex_);
    db_.prepare("DELETE FROM nhi_failures WHERE card = ?").bind(1, key).run();
}

int NhiCounter::failures(const std::string& cardNumber)
{
    const std::string key = cardKey(cardNumber);
    std::lock_guard lock(mutex_);
    auto select = db_.prepare("SELECT failures FROM nhi_failures WHERE card = ?");
    select.bind(1, key);
    return select.step() ? static_cast<int>(select.columnInt(0)) : 0;
}

} // namespace shensu::central
