// The health-card failure counter in SQLite (WAL, synchronous=FULL), keyed by HMAC of the card
// number.
#include "auth_store.hpp"

#include "registration.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

namespace shensu::central
{

namespace
{
    constexpr std::size_t SECRET_BYTES = 32;

    [[noreturn]] void fail(const std::string& what, const std::filesystem::path& file)
    {
        throw std::runtime_error(what + " " + file.string() + ": " + std::strerror(errno));
    }

} // namespace

std::optional<network::Bytes> readNhiSecret(const std::filesystem::path& file)
{
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot open the NHI counter key", file);
    }
    network::Bytes secret(SECRET_BYTES + 1);
    const ssize_t got = ::read(fd, secret.data(), secret.size());
    ::close(fd);
    if (got != static_cast<ssize_t>(SECRET_BYTES))
        throw std::runtime_error("the NHI counter key " + file.string() + " is not "
            + std::to_string(SECRET_BYTES) + " bytes");
    secret.resize(SECRET_BYTES);
    return secret;
}

network::Bytes createNhiSecret(const std::filesystem::path& file)
{
    auto secret = network::openssl::randomBytes(SECRET_BYTES);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail("cannot create the NHI counter key", file);
    const bool written
        = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size())
        && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) fail("cannot write the NHI counter key", file);
    const auto dir = file.has_parent_path() ? file.parent_path() : ".";
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return secret;
}

NhiCounter::NhiCounter(const std::filesystem::path& db, const std::filesystem::path& keyFile)
    : db_(db)
{
    db_.exec("PRAGMA busy_timeout=5000");
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("CREATE TABLE IF NOT EXISTS nhi_failures ("
             " card TEXT PRIMARY KEY," // HMAC-SHA256 hex of the card number (keyFile)
             " failures INTEGER NOT NULL)");
    // The key's check value, HMAC-SHA256(key, "shensu-nhi-key-check"), as in PostgreSQL: a
    // central started with another --nhi-key would count every card afresh (each lock-out lifted).
    db_.exec("CREATE TABLE IF NOT EXISTS nhi_key_check ("
             " id INTEGER PRIMARY KEY CHECK (id = 1), check_value TEXT NOT NULL)");
    network::sqlite::Transaction transaction(db_);
    std::optional<std::string> stored;
    {
        auto select = db_.prepare("SELECT check_value FROM nhi_key_check");
        if (select.step()) stored = select.columnText(0);
    }
    auto counts = db_.prepare("SELECT 1 FROM nhi_failures LIMIT 1");
    auto key = nhiKeyAtStart(keyFile, stored, counts.step());
    secret_ = std::move(key.secret);
    if (key.storeCheck)
        db_.prepare("INSERT INTO nhi_key_check (id, check_value) VALUES (1, ?)")
            .bind(1, key.check)
            .run();
    transaction.commit();
}

NhiCounter::~NhiCounter()
{
    OPENSSL_cleanse(secret_.data(), secret_.size());
}

namespace
{
    std::string hmacHex(const network::Bytes& secret, const std::string& input)
    {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        network::openssl::check(
            HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size)
                != nullptr,
            "HMAC");
        return network::openssl::hex(std::span<const unsigned char>(mac, size));
    }
} // namespace

std::string nhiKeyCheck(const network::Bytes& secret)
{
    return hmacHex(secret, "shensu-nhi-key-check");
}

std::string nhiCardKey(const network::Bytes& secret, const std::string& cardNumber)
{
    const std::string input = "shensu-nhi-card-v1:" + cardNumber;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    network::openssl::check(
        HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size)
            != nullptr,
        "HMAC");
    return network::openssl::hex(std::span<const unsigned char>(mac, size));
}

std::optional<int> NhiCounter::begin(const std::string& cardNumber, int maxFailures)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
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

int NhiCounter::failures(const std::string& cardNumber)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    auto select = db_.prepare("SELECT failures FROM nhi_failures WHERE card = ?");
    select.bind(1, key);
    return select.step() ? static_cast<int>(select.columnInt(0)) : 0;
}

void NhiCounter::succeeded(const std::string& cardNumber)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    db_.prepare("DELETE FROM nhi_failures WHERE card = ?").bind(1, key).run();
}

void NhiCounter::cancel(const std::string& cardNumber)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    db_.prepare("UPDATE nhi_failures SET failures = failures - 1 WHERE card = ? AND failures > 0")
        .bind(1, key)
        .run();
}

} // namespace shensu::central
