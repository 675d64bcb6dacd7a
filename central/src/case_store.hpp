// Central's case register in SQLite: submissions by idempotency key, case numbers, verification
// codes.
#pragma once

#include <network/openssl.hpp>
#include <network/protocol.hpp>
#include <network/sqlite.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace shensu::central
{

using network::protocol::SubmissionReceipt;

struct CaseStatus {
    std::string status;
    std::string receivedAt;
};

// Thread-safe: one connection behind a mutex (central is small; SQLite serialises writers anyway).
class CaseStore
{
public:
    // codeSecret derives verification codes (HMAC); empty is fine for read-only use such as
    // listing.
    CaseStore(const std::filesystem::path& file, network::Bytes codeSecret);

    enum class Replay { NONE, SAME_BODY, OTHER_BODY };
    struct Lookup {
        Replay replay = Replay::NONE;
        std::optional<SubmissionReceipt> receipt; // set for SAME_BODY
    };
    Lookup findSubmission(const std::string& idempotencyKey, const std::string& envelopeSha256);

    // Registers a new case (the opened, verified envelope is kept as received: still sealed to
    // central). If the key was stored concurrently, answers as findSubmission would.
    Lookup registerCase(const std::string& idempotencyKey, const std::string& envelopeSha256,
        std::span<const unsigned char> envelope, const std::string& kioskId,
        std::chrono::system_clock::time_point now, SubmissionReceipt& created);

    // The signed answer for a registered case: the one stored for its Idempotency-Key if signed
    // under the same receipt certificate (signer), else sign(receipt), stored before it is
    // returned (so a new receipt key re-signs old cases on their next replay).
    std::string answer(const SubmissionReceipt& receipt, const std::string& signer,
        const std::function<std::string(const SubmissionReceipt&)>& sign);

    std::optional<CaseStatus> status(
        const std::string& caseNumber, const std::string& verificationCode);

    // One JSON line per case: {"caseNumber","receivedAt","kioskId","idempotencyKey"}.
    void listCases(std::ostream& out);

private:
    std::string verificationCode(
        const std::string& idempotencyKey, const std::string& envelopeSha256) const;
    Lookup findLocked(const std::string& idempotencyKey, const std::string& envelopeSha256);

    std::mutex mutex_;
    network::sqlite::Database db_;
    network::Bytes codeSecret_;
};

// "YYYMMDD" of the ROC calendar for the Taipei (UTC+8, no DST) date of t.
std::string rocDate(std::chrono::system_clock::time_point t);
// "2026-11-23T10:51:00Z"
std::string utcTimestamp(std::chrono::system_clock::time_point t);

} // namespace shensu::central
