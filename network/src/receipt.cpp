// Signing and verifying submission receipts: detached ECDSA P-256 / SHA-256 over the receipt bytes.
#include <network/receipt.hpp>

#include <optional>

#include <openssl/evp.h>

namespace shensu::network
{

namespace
{
    using openssl::base64;
    using openssl::bytesOf;
    using openssl::unbase64;
} // namespace

ReceiptSigner::ReceiptSigner(const std::filesystem::path& cert, const std::filesystem::path& key)
    : key_(openssl::readPrivateKey(key))
{
    const auto certificate = openssl::readCertificate(cert);
    openssl::check(
        X509_check_private_key(certificate.get(), key_.get()) == 1, "receipt key and certificate");
    unsigned char* der = nullptr;
    const int len = i2d_X509(certificate.get(), &der);
    openssl::check(len > 0, "i2d_X509");
    id_ = openssl::hex(openssl::sha256(std::span(der, static_cast<std::size_t>(len))));
    OPENSSL_free(der);
}

protocol::SignedReceipt ReceiptSigner::sign(const protocol::SubmissionReceipt& receipt) const
{
    std::string text = protocol::receiptBytes(receipt);
    openssl::clearErrors();
    const Bytes signature = openssl::signSha256(key_.get(), bytesOf(text));
    return { std::move(text), base64(signature) };
}

ReceiptVerifier::ReceiptVerifier(const std::filesystem::path& pinnedCert)
{
    const auto certificate = openssl::readCertificate(pinnedCert);
    key_.reset(openssl::check(X509_get_pubkey(certificate.get()), "receipt certificate key"));
}

protocol::SubmissionReceipt ReceiptVerifier::verify(std::string_view body,
    std::span<const unsigned char> envelope, const std::string& idempotencyKey) const
{
    protocol::SignedReceipt signedReceipt;
    try {
        signedReceipt = protocol::parseSignedReceipt(body);
    } catch (const ProtocolError& e) {
        throw ReceiptError(e.what());
    }
    const auto signature = unbase64(signedReceipt.signature);
    if (!signature) throw ReceiptError("receipt signature is not base64");

    if (!openssl::verifySha256(key_.get(), bytesOf(signedReceipt.receipt), *signature))
        throw ReceiptError("receipt signature does not verify");

    protocol::SubmissionReceipt receipt;
    try {
        receipt = protocol::parseSubmissionReceipt(signedReceipt.receipt);
    } catch (const ProtocolError& e) {
        throw ReceiptError(e.what());
    }
    if (receipt.envelopeDigest != openssl::hex(openssl::sha256(envelope)))
        throw ReceiptError("receipt is for another envelope");
    if (receipt.idempotencyKey != idempotencyKey)
        throw ReceiptError("receipt is for another Idempotency-Key");
    return receipt;
}

} // namespace shensu::network
