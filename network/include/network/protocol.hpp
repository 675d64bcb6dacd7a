// The central protocol v1 as the kiosk and central both see it: paths, headers, canonical filing
// bytes, answers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::network
{

class ProtocolError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

namespace protocol
{

    inline constexpr std::string_view SUBMISSIONS_PATH = "/v1/submissions";
    inline constexpr std::string_view CASE_STATUS_PATH = "/v1/cases/status";
    inline constexpr std::string_view HEARTBEAT_PATH = "/v1/heartbeat";
    // A signed block of case numbers for this kiosk (network/case_lease.hpp).
    inline constexpr std::string_view CASE_LEASE_PATH = "/v1/case-numbers/lease";
    inline constexpr std::string_view AUTH_CHALLENGE_PATH = "/v1/auth/challenge";
    inline constexpr std::string_view AUTH_CARD_PATH = "/v1/auth/card";
    inline constexpr std::string_view AUTH_NHI_PATH = "/v1/auth/nhi";
    // Before any password: the card's tries left, locked or not registered (nothing counted).
    inline constexpr std::string_view AUTH_NHI_STATUS_PATH = "/v1/auth/nhi/status";
    inline constexpr std::string_view IDEMPOTENCY_HEADER = "Idempotency-Key";
    inline constexpr std::string_view ENVELOPE_CONTENT_TYPE = "application/cms";

    // Verification codes: 16 decimal digits, 15 random and a Luhn check digit (ISO/IEC 7812-1,
    // as on payment cards) last. Luhn catches every single-digit typo and every swap of two
    // adjacent digits except 09/90, so a kiosk can tell a mistyped code before asking central.
    inline constexpr std::size_t VERIFICATION_CODE_DIGITS = 16;
    // The Luhn check digit ('0'..'9') for a string of decimal digits (the code without its last
    // digit). Throws ProtocolError if digits is empty or holds anything but 0-9.
    // Inline (header only) so that the kiosk's core checks a typed code before anything is sent,
    // without linking the network library.
    inline char verificationCodeCheckDigit(std::string_view digits)
    {
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
            throw ProtocolError("a verification code is made of decimal digits");
        // Luhn: from the right, double every other digit starting with the one next to the check
        // digit, subtract 9 from doubles above 9, and pick the check digit that makes the sum 0
        // mod 10.
        int sum = 0;
        bool twice = true;
        for (auto it = digits.rbegin(); it != digits.rend(); ++it, twice = !twice) {
            int d = *it - '0';
            if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        return static_cast<char>('0' + (10 - sum % 10) % 10);
    }
    // Exactly 16 decimal digits whose last one is the Luhn check digit of the first 15.
    inline bool isWellFormedVerificationCode(std::string_view code) noexcept
    {
        if (code.size() != VERIFICATION_CODE_DIGITS
            || code.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        return verificationCodeCheckDigit(code.substr(0, VERIFICATION_CODE_DIGITS - 1))
            == code.back();
    }

    // The bytes that get signed: the filing object dumped compactly with sorted keys (nlohmann's
    // object is a std::map, so dump() is key-sorted at every level) and strict UTF-8. Throws
    // ProtocolError if not an object or not valid UTF-8.
    std::vector<unsigned char> canonicalBytes(const nlohmann::json& filing);
    nlohmann::json parseFiling(std::span<const unsigned char> canonical);

    // Central's answer to POST /v1/submissions is a signed receipt. The body is
    //   {"receipt": "<receipt JSON text>", "signature": "<base64>"}
    // where the receipt text is receiptBytes() of a SubmissionReceipt (compact, key-sorted JSON)
    // and the signature is a detached ECDSA P-256 / SHA-256 signature (DER, standard base64) over
    // exactly those bytes, made with central's receipt key (central-receipt.key; kiosks pin
    // central-receipt.pem). Carrying the receipt as a string means the kiosk verifies the bytes
    // central signed, with no re-canonicalisation. Central stores the signed body, so a replay of
    // the same submission gets the byte-identical answer.
    struct SubmissionReceipt {
        std::string
            caseNumber; // e.g. "1151123-0001": ROC date of receipt (Taipei) + daily sequence
        std::string verificationCode; // 16 digits, shown to the filer with the case number
        std::string receivedAt; // UTC, ISO 8601, e.g. "2026-11-23T10:51:00Z"
        std::string envelopeDigest; // sha256 (lower-case hex) of the envelope bytes received
        std::string idempotencyKey; // the submission's Idempotency-Key
        std::string kioskId; // the CN of the kiosk's TLS client certificate
        // Due dates (Taipei calendar dates, "YYYY-MM-DD") from central's workflow rules: the
        // responsible agency's initial acceptance report (3 days) and its result (1 month).
        std::string initialReportDue;
        std::string resultReportDue;
    };
    std::string receiptBytes(const SubmissionReceipt& receipt);
    // Throws ProtocolError unless text is a JSON object with all the fields well formed (the
    // verification code must pass isWellFormedVerificationCode).
    SubmissionReceipt parseSubmissionReceipt(std::string_view text);

    struct SignedReceipt {
        std::string receipt; // receiptBytes() as signed
        std::string signature; // base64 of the DER ECDSA signature
    };
    std::string toBody(const SignedReceipt& signedReceipt);
    // Throws ProtocolError unless body has the two string fields (the signature is not checked
    // here: see network/receipt.hpp).
    SignedReceipt parseSignedReceipt(std::string_view body);

    // POST /v1/heartbeat: the kiosk's health, and nothing about anyone. Central refuses (400) a
    // heartbeat with any other field, so personal data cannot ride along by accident.
    struct ReaderHealth {
        std::string name; // the PC/SC reader name, at most 128 characters
        std::string state; // "empty", "card", "unavailable"
    };
    struct Heartbeat {
        std::string version; // kiosk software version, at most 64 characters
        std::int64_t outboxDepth = 0; // filings not yet answered for
        std::int64_t oldestOutboxAgeSeconds = 0; // 0 when the outbox is empty
        std::vector<ReaderHealth> readers;
        // Filings central refused for good, held in the outbox for a technician (not in
        // outboxDepth). Optional on the wire: a heartbeat without it (an older kiosk) means 0.
        std::int64_t heldFilings = 0;
    };
    std::string heartbeatBody(const Heartbeat& heartbeat);
    // Throws ProtocolError naming the first problem (unknown field, wrong type, out of range).
    Heartbeat parseHeartbeat(std::string_view body);

} // namespace protocol
} // namespace shensu::network
