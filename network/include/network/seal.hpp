// Sealing a filing: CMS SignedData by the kiosk device key (and, for an identified filing, the
// citizen card) inside CMS AuthEnvelopedData (AES-256-GCM) to central.
#pragma once

#include <network/openssl.hpp>

#include <filesystem>
#include <functional>
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

// What a card signer hands back: an RSA PKCS#1 v1.5 signature over SHA-256 of the bytes it was
// given, and the DER X.509 certificate of the key that made it.
struct CardSignature {
    Bytes signature;
    Bytes certificate;
};
// A second signer outside network/ (kiosk/app: the citizen card through cardio's PKCS#11 layer, one
// card call C_Login + C_Sign + C_Logout). Called once per seal with the DER signed attributes of
// the card's SignerInfo (contentType, signingTime, messageDigest): sign them as they are
// (CKM_SHA256_RSA_PKCS hashes them itself). Whatever it throws leaves seal() / Forwarder::store()
// unchanged, before anything is encrypted or stored.
using CardSigner = std::function<CardSignature(std::span<const unsigned char> toBeSigned)>;

// Kiosk side. Loads its keys once; seal() is safe to call from several threads.
class Sealer
{
public:
    Sealer(const std::filesystem::path& signerCert, const std::filesystem::path& signerKey,
        const std::filesystem::path& recipientCert);
    // DER AuthEnvelopedData(SignedData(content, signer cert embedded)). With a card signer the
    // SignedData carries two SignerInfos (the card's and the device key's) and both certificates;
    // both signatures are checked before the envelope is made (a card that signed with another
    // key than its certificate's is a SealError). Throws SealError.
    Bytes seal(std::span<const unsigned char> content, const CardSigner& cardSigner = {}) const;

private:
    openssl::X509Ptr signerCert_;
    openssl::PkeyPtr signerKey_;
    openssl::X509Ptr recipientCert_;
};

// Holds a filing's plaintext: zeroed (OPENSSL_cleanse) before its memory is let go. Move-only; a
// moved-from one is empty.
struct OpenedEnvelope {
    OpenedEnvelope() = default;
    OpenedEnvelope(OpenedEnvelope&& other) noexcept;
    OpenedEnvelope& operator=(OpenedEnvelope&& other) noexcept; // wipes this one's content first
    OpenedEnvelope(const OpenedEnvelope&) = delete;
    OpenedEnvelope& operator=(const OpenedEnvelope&) = delete;
    ~OpenedEnvelope() { wipe(); }
    // Zeroes content in place (its size stays): for a caller done with the plaintext early.
    void wipe() noexcept;

    Bytes content;
    std::vector<std::string> signerCommonNames; // CNs of the signers that chain to the kiosk CA
                                                // (the kiosk id among them)
    // Signers whose signature over the content verifies but whose certificate does not chain to
    // the kiosk CA (a citizen card): DER certificates, for the caller to judge (central: MOICA CA,
    // CRL and identity, as at login).
    std::vector<Bytes> otherSignerCertificates;
};

// Central side: decrypts with the encryption key and verifies the signature against the kiosk CA.
class EnvelopeOpener
{
public:
    EnvelopeOpener(const std::filesystem::path& recipientCert,
        const std::filesystem::path& recipientKey, const std::filesystem::path& signerCa);
    // Throws SealError if it cannot be decrypted, any SignerInfo's signature does not verify, or
    // no signer chains to the kiosk CA (purpose smime_sign).
    OpenedEnvelope open(std::span<const unsigned char> envelope) const;

private:
    openssl::X509Ptr recipientCert_;
    openssl::PkeyPtr recipientKey_;
    openssl::StorePtr signerCa_;
};

} // namespace shensu::network
