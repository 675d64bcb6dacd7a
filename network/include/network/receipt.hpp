// Central's signed submission receipts: central signs them, the kiosk checks them before it lets
// a filing go (format: network/protocol.hpp).
#pragma once

#include <network/openssl.hpp>
#include <network/protocol.hpp>

#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shensu::network
{

// A receipt that does not prove central took this very envelope.
class ReceiptError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Central's side. Throws OpenSslError if the key cannot be read or does not belong to the
// certificate.
class ReceiptSigner
{
public:
    ReceiptSigner(const std::filesystem::path& cert, const std::filesystem::path& key);
    protocol::SignedReceipt sign(const protocol::SubmissionReceipt& receipt) const;
    // sha256 (hex) of the certificate's DER: tells receipts signed under this certificate apart.
    const std::string& id() const noexcept { return id_; }

private:
    openssl::PkeyPtr key_;
    std::string id_;
};

// The kiosk's side: the receipt certificate is pinned (no chain is built).
class ReceiptVerifier
{
public:
    explicit ReceiptVerifier(const std::filesystem::path& pinnedCert);
    // Checks the signature over the receipt bytes, then that the receipt names the envelope
    // (sha256 of the exact bytes sent) and the Idempotency-Key. Throws ReceiptError otherwise.
    protocol::SubmissionReceipt verify(std::string_view body,
        std::span<const unsigned char> envelope, const std::string& idempotencyKey) const;

private:
    openssl::PkeyPtr key_;
};

} // namespace shensu::network
