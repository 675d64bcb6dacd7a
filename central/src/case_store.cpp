// The case register: schema, case-number allocation, verification codes, replay lookups.
#include "case_store.hpp"

#include <cstdio>
#include <ctime>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace shensu::central
{

namespace ossl = network::openssl;

CaseStore::CaseStore(const std::filesystem::path& file, network::Bytes codeSecret)
    : db_(file)
    , codeSecret_(std::move(codeSecret))
{
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("CREATE TABLE IF NOT EXISTS cases ("
             " case_number TEXT PRIMARY KEY,"
             " verification_salt TEXT NOT NULL,"
             " verification_hash TEXT NOT NULL," // sha256(salt || code), hex
             " idempotency_key TEXT NOT NULL UNIQUE,"
             " envelope_sha256 TEXT NOT NULL,"
             " envelope BLOB NOT NULL,"
             " kiosk_id TEXT NOT NULL,"
             " received_at TEXT NOT NULL,"
             " status TEXT NOT NULL DEFAULT 'received')");
    db_.exec(
        "CREATE TABLE IF NOT EXISTS case_sequence (day TEXT PRIMARY KEY, last INTEGER NOT NULL)");
    // The signed answer as first sent (ECDSA signatures are randomised: keeping it is what makes a
    // replay's answer byte-identical), and the receipt certificate it was signed under.
    db_.exec("CREATE TABLE IF NOT EXISTS receipts ("
             " idempotency_key TEXT PRIMARY KEY,"
             " signer TEXT NOT NULL,"
             " body TEXT NOT NULL)");
}

std::string CaseStore::verificationCode(
    const std::string& idempotencyKey, const std::string& envelopeSha256) const
{
    // Derived, not stored: HMAC(secret, key || digest) reduced to 16 digits, so a replay gets the
    // same code while the database holds only a salted hash. (The modulo bias of 2^64 mod 10^16 is
    // ~1e-4: negligible.)
    const std::string message = idempotencyKey + '\n' + envelopeSha256;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLen = 0;
    ossl::check(
        HMAC(EVP_sha256(), codeSecret_.data(), static_cast<int>(codeSecret_.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &macLen)
            != nullptr,
        "HMAC");
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
        n = (n << 8) | mac[i];
    char digits[17];
    std::snprintf(digits, sizeof digits, "%016llu",
        static_cast<unsigned long long>(n % 10000000000000000ULL));
    return digits;
}

CaseStore::Lookup CaseStore::findLocked(
    const std::string& idempotencyKey, const std::string& envelopeSha256)
{
    auto stmt = db_.prepare("SELECT envelope_sha256, case_number, received_at, kiosk_id FROM cases"
                            " WHERE idempotency_key = ?");
    stmt.bind(1, idempotencyKey);
    if (!stmt.step()) return {};
    if (stmt.columnText(0) != envelopeSha256) return { Replay::OTHER_BODY, std::nullopt };
    return { Replay::SAME_BODY,
        SubmissionReceipt { stmt.columnText(1), verificationCode(idempotencyKey, envelopeSha256),
            stmt.columnText(2), envelopeSha256, idempotencyKey, stmt.columnText(3) } };
}

CaseStore::Lookup CaseStore::findSubmission(
    const std::string& idempotencyKey, const std::string& envelopeSha256)
{
    std::lock_guard lock(mutex_);
    return findLocked(idempotencyKey, envelopeSha256);
}

CaseStore::Lookup CaseStore::registerCase(const std::string& idempotencyKey,
    const std::string& envelopeSha256, std::span<const unsigned char> envelope,
    const std::string& kioskId, std::chrono::system_clock::time_point now,
    SubmissionReceipt& created)
{
    std::lock_guard lock(mutex_);
    if (auto existing = findLocked(idempotencyKey, envelopeSha256); existing.replay != Replay::NONE)
        return existing;

    network::sqlite::Transaction tx(db_);
    const std::string day = rocDate(now);
    db_.prepare("INSERT INTO case_sequence (day, last) VALUES (?, 1)"
                " ON CONFLICT(day) DO UPDATE SET last = last + 1")
        .bind(1, day)
        .run();
    auto seq = db_.prepare("SELECT last FROM case_sequence WHERE day = ?");
    seq.bind(1, day).step();
    char number[32];
    std::snprintf(
        number, sizeof number, "%s-%04lld", day.c_str(), static_cast<long long>(seq.columnInt(0)));

    created = SubmissionReceipt { number, verificationCode(idempotencyKey, envelopeSha256),
        utcTimestamp(now), envelopeSha256, idempotencyKey, kioskId };
    const std::string salt = ossl::hex(ossl::randomBytes(16));
    const std::string salted = salt + created.verificationCode;
    const std::string hash = ossl::hex(ossl::sha256(
        std::span(reinterpret_cast<const unsigned char*>(salted.data()), salted.size())));

    db_.prepare(
           "INSERT INTO cases (case_number, verification_salt, verification_hash, idempotency_key,"
           " envelope_sha256, envelope, kiosk_id, received_at, status)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received')")
        .bind(1, created.caseNumber)
        .bind(2, salt)
        .bind(3, hash)
        .bind(4, idempotencyKey)
        .bind(5, envelopeSha256)
        .bind(6, envelope)
        .bind(7, kioskId)
        .bind(8, created.receivedAt)
        .run();
    tx.commit();
    return {};
}

std::string CaseStore::answer(const SubmissionReceipt& receipt, const std::string& signer,
    const std::function<std::string(const SubmissionReceipt&)>& sign)
{
    std::lock_guard lock(mutex_);
    auto stored = db_.prepare("SELECT signer, body FROM receipts WHERE idempotency_key = ?");
    stored.bind(1, receipt.idempotencyKey);
    if (stored.step() && stored.columnText(0) == signer) return stored.columnText(1);
    std::string body = sign(receipt);
    db_.prepare("INSERT OR REPLACE INTO receipts (idempotency_key, signer, body) VALUES (?, ?, ?)")
        .bind(1, receipt.idempotencyKey)
        .bind(2, signer)
        .bind(3, body)
        .run();
    return body;
}

std::optional<CaseStatus> CaseStore::status(
    const std::string& caseNumber, const std::string& verificationCode)
{
    std::lock_guard lock(mutex_);
    auto stmt = db_.prepare("SELECT verification_salt, verification_hash, status, received_at FROM "
                            "cases WHERE case_number = ?");
    stmt.bind(1, caseNumber);
    if (!stmt.step()) return std::nullopt;
    const std::string salted = stmt.columnText(0) + verificationCode;
    const std::string hash = ossl::hex(ossl::sha256(
        std::span(reinterpret_cast<const unsigned char*>(salted.data()), salted.size())));
    const std::string stored = stmt.columnText(1);
    if (hash.size() != stored.size() || CRYPTO_memcmp(hash.data(), stored.data(), hash.size()) != 0)
        return std::nullopt;
    return CaseStatus { stmt.columnText(2), stmt.columnText(3) };
}

void CaseStore::listCases(std::ostream& out)
{
    std::lock_guard lock(mutex_);
    auto stmt = db_.prepare(
        "SELECT case_number, received_at, kiosk_id, idempotency_key FROM cases ORDER BY rowid");
    while (stmt.step()) {
        const nlohmann::json line { { "caseNumber", stmt.columnText(0) },
            { "receivedAt", stmt.columnText(1) }, { "kioskId", stmt.columnText(2) },
            { "idempotencyKey", stmt.columnText(3) } };
        out << line.dump() << '\n';
    }
}

std::string rocDate(std::chrono::system_clock::time_point t)
{
    using namespace std::chrono;
    const year_month_day ymd { floor<days>(t + hours(8)) };
    char text[16];
    std::snprintf(text, sizeof text, "%03d%02u%02u", static_cast<int>(ymd.year()) - 1911,
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

std::string utcTimestamp(std::chrono::system_clock::time_point t)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm {};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

} // namespace shensu::central
