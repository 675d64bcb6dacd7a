// Sealing a filing: CMS SignedData by the kiosk device key inside CMS AuthEnvelopedData
// (AES-256-GCM) to central.
#pragma once

#include <network/openssl.hpp>

#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace shensu::network
{

class SealError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Kiosk side. Loads its keys once; seal() is safe to call from several threads.
class Sealer
{
public:
    Sealer(const std::filesystem::path& signerCert, const std::filesystem::path& signerKey,
        const std::filesystem::path& recipientCert);
    // DER AuthEnvelopedData(SignedData(content, signer cert embedded)). Throws SealError.
    Bytes seal(std::span<const unsigned char> content) const;

private:
    openssl::X509Ptr signerCert_;
    openssl::PkeyPtr signerKey_;
    openssl::X509Ptr recipientCert_;
};

struct OpenedEnvelope {
    Bytes content;
    std::vector<std::string>
        signerCommonNames; // CNs of the verified signers (the kiosk id among them)
};

// Central side: decrypts with the encryption key and verifies the signature against the kiosk CA.
class EnvelopeOpener
{
public:
    EnvelopeOpener(const std::filesystem::path& recipientCert,
        const std::filesystem::path& recipientKey, const std::filesystem::path& signerCa);
    // Throws SealError if it cannot be decrypted, or the signature or the signer's chain does not
    // verify.
    OpenedEnvelope open(std::span<const unsigned char> envelope) const;

private:
    openssl::X509Ptr recipientCert_;
    openssl::PkeyPtr recipientKey_;
    openssl::StorePtr signerCa_;
};

} // namespace shensu::network
