// Case-number leases: compact key-sorted JSON, detached ECDSA P-256/SHA-256 with central's
// receipt key (the same scheme as receipts and identity assertions, with its own type).
#include "signed_json.hpp"

#include <network/case_lease.hpp>
#include <network/protocol.hpp>

#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

namespace shensu::network
{

namespace
{
    constexpr const char* TYPE = "shensu-case-lease-v1";
    constexpr const char* WHAT = "case-number lease";

    using openssl::bytesOf;
} // namespace

bool isWellFormedCaseNumber(std::string_view n) noexcept
{
    if (n.size() < 12 || n.size() > 16 || n[7] != '-') return false;
    for (std::size_t i = 0; i < n.size(); ++i)
        if (i != 7 && (n[i] < '0' || n[i] > '9')) return false;
    return true;
}

std::optional<std::chrono::system_clock::time_point> parseUtcTime(const std::string& text)
{
    static constexpr std::string_view SHAPE = "dddd-dd-ddTdd:dd:ddZ";
    if (text.size() != SHAPE.size()) return std::nullopt;
    for (std::size_t i = 0; i < SHAPE.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (SHAPE[i] == 'd' ? !digit : text[i] != SHAPE[i]) return std::nullopt;
    }
    const auto number = [&](std::size_t at, std::size_t digits) {
        int value = 0;
        for (std::size_t i = at; i < at + digits; ++i)
            value = value * 10 + (text[i] - '0');
        return value;
    };
    const std::chrono::year_month_day day { std::chrono::year(number(0, 4)),
        std::chrono::month(static_cast<unsigned>(number(5, 2))),
        std::chrono::day(static_cast<unsigned>(number(8, 2))) };
    const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (!day.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    return std::chrono::sys_days(day) + std::chrono::hours(hour) + std::chrono::minutes(minute)
        + std::chrono::seconds(second);
}

std::chrono::system_clock::time_point parseLeaseTime(const std::string& text)
{
    const auto time = parseUtcTime(text);
    if (!time) throw LeaseError("case-number lease: malformed time");
    return *time;
}

std::string leaseTime(std::chrono::system_clock::time_point t)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm {};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string leaseBytes(const CaseLease& l)
{
    return nlohmann::json {
        { "type", TYPE }, { "leaseId", l.leaseId }, { "kioskId", l.kioskId },
        { "numbers", l.numbers }, { "issuedAt", l.issuedAt }, { "expiresAt", l.expiresAt }
    }.dump();
}

std::string signedLeaseBody(const std::string& leaseText, const Bytes& signature)
{
    return nlohmann::json {
        { "lease", leaseText }, { "signature", openssl::base64(signature) }
    }.dump();
}

nlohmann::json toJson(const LeasedNumber& t)
{
    return { { "leaseId", t.leaseId }, { "caseNumber", t.caseNumber },
        { "verificationCode", t.verificationCode }, { "takenAt", t.takenAt } };
}

std::optional<LeasedNumber> leasedNumberOf(const nlohmann::json& filing)
{
    if (!filing.is_object() || !filing.contains(FILING_LEASE_KEY)) return std::nullopt;
    const auto& block = filing[FILING_LEASE_KEY];
    const auto field = [&](const char* key) {
        if (!block.is_object() || !block.contains(key) || !block[key].is_string())
            throw LeaseError(std::string("leased number: ") + key + " missing");
        return block[key].get<std::string>();
    };
    LeasedNumber taken { field("leaseId"), field("caseNumber"), field("verificationCode"),
        field("takenAt") };
    if (taken.leaseId.empty() || taken.leaseId.size() > 64)
        throw LeaseError("leased number: malformed lease id");
    if (!isWellFormedCaseNumber(taken.caseNumber))
        throw LeaseError("leased number: malformed case number");
    if (!protocol::isWellFormedVerificationCode(taken.verificationCode))
        throw LeaseError("leased number: malformed verification code");
    parseLeaseTime(taken.takenAt);
    return taken;
}

std::string newKioskVerificationCode()
{
    std::string digits;
    while (digits.size() < protocol::VERIFICATION_CODE_DIGITS - 1) {
        for (const unsigned char b : openssl::randomBytes(32)) {
            if (b >= 250) continue; // 250 = 25 * 10: keeps every digit equally likely
            digits += static_cast<char>('0' + b % 10);
            if (digits.size() == protocol::VERIFICATION_CODE_DIGITS - 1) break;
        }
    }
    digits += protocol::verificationCodeCheckDigit(digits);
    return digits;
}

LeaseSigner::LeaseSigner(const std::filesystem::path& cert, const std::filesystem::path& key)
    : key_(openssl::readPrivateKey(key))
{
    const auto certificate = openssl::readCertificate(cert);
    openssl::check(X509_check_private_key(certificate.get(), key_.get()) == 1,
        "the lease key does not belong to its certificate");
}

std::string LeaseSigner::sign(const CaseLease& lease) const
{
    const std::string text = leaseBytes(lease);
    return signedLeaseBody(text, openssl::signSha256(key_.get(), bytesOf(text)));
}

LeaseVerifier::LeaseVerifier(const std::filesystem::path& pinnedReceiptCert)
{
    const auto certificate = openssl::readCertificate(pinnedReceiptCert);
    key_.reset(openssl::check(X509_get_pubkey(certificate.get()), "receipt certificate key"));
}

CaseLease LeaseVerifier::verify(std::string_view body, const std::string& kioskId) const
{
    const auto field = [](const nlohmann::json& json, const char* key) {
        return requiredString<LeaseError>(json, key, WHAT);
    };
    const auto json = verifySignedJson<LeaseError>(
        nlohmann::json::parse(body, nullptr, false), "lease", TYPE, key_.get(), WHAT);
    CaseLease lease { field(json, "leaseId"), field(json, "kioskId"), {}, field(json, "issuedAt"),
        field(json, "expiresAt") };
    if (!json.contains("numbers") || !json["numbers"].is_array() || json["numbers"].empty())
        throw LeaseError("case-number lease: numbers missing");
    std::set<std::string> seen;
    for (const auto& n : json["numbers"]) {
        if (!n.is_string() || !isWellFormedCaseNumber(n.get<std::string>())
            || !seen.insert(n.get<std::string>()).second)
            throw LeaseError("case-number lease: a malformed or repeated case number");
        lease.numbers.push_back(n.get<std::string>());
    }
    if (lease.kioskId != kioskId) throw LeaseError("case-number lease: issued to another kiosk");
    if (parseLeaseTime(lease.issuedAt) >= parseLeaseTime(lease.expiresAt))
        throw LeaseError("case-number lease: expires before it is issued");
    return lease;
}

} // namespace shensu::network
