// CMS sealing (sign, then AuthEnvelopedData AES-256-GCM to central) and the matching open for
// central.
#include <network/seal.hpp>

#include <climits>

namespace shensu::network
{

namespace
{
    // Runs one OpenSSL step, turning its failure into a SealError with the queued reasons.
    template<typename F> auto sealStep(F&& step)
    {
        try {
            return step();
        } catch (const OpenSslError& e) {
            throw SealError(e.what());
        }
    }
} // namespace

Sealer::Sealer(const std::filesystem::path& signerCert, const std::filesystem::path& signerKey,
    const std::filesystem::path& recipientCert)
    : signerCert_(openssl::readCertificate(signerCert))
    , signerKey_(openssl::readPrivateKey(signerKey))
    , recipientCert_(openssl::readCertificate(recipientCert))
{
    openssl::check(X509_check_private_key(signerCert_.get(), signerKey_.get()) == 1,
        "device key does not match device certificate");
}

Bytes Sealer::seal(std::span<const unsigned char> content) const
{
    return sealStep([&] {
        using namespace openssl;
        clearErrors();

        // 1. SignedData, signer certificate embedded, binary content (no MIME canonicalisation).
        auto in = memoryBio(content);
        CmsPtr signedData(check(CMS_sign(signerCert_.get(), signerKey_.get(), nullptr, in.get(),
                                    CMS_BINARY | CMS_NOSMIMECAP),
            "CMS_sign"));
        auto signedDer = memoryBio();
        check(i2d_CMS_bio(signedDer.get(), signedData.get()) == 1, "i2d_CMS_bio(signed)");

        // 2. AuthEnvelopedData around the DER SignedData. Traps: set_detached(0) or the ciphertext
        // is absent; ecdh_kdf_md sha256 or the KDF is SHA-1.
        CmsPtr envelope(
            check(CMS_AuthEnvelopedData_create(EVP_aes_256_gcm()), "CMS_AuthEnvelopedData_create"));
        check(CMS_set_detached(envelope.get(), 0) == 1, "CMS_set_detached");
        CMS_RecipientInfo* ri
            = check(CMS_add1_recipient_cert(envelope.get(), recipientCert_.get(), CMS_KEY_PARAM),
                "CMS_add1_recipient_cert");
        EVP_PKEY_CTX* pctx
            = check(CMS_RecipientInfo_get0_pkey_ctx(ri), "CMS_RecipientInfo_get0_pkey_ctx");
        check(EVP_PKEY_CTX_ctrl_str(pctx, "ecdh_kdf_md", "sha256") > 0, "ecdh_kdf_md");
        check(CMS_set1_eContentType(envelope.get(), OBJ_nid2obj(NID_pkcs7_signed)) == 1,
            "CMS_set1_eContentType");
        check(CMS_final(envelope.get(), signedDer.get(), nullptr, CMS_BINARY) == 1, "CMS_final");

        auto out = memoryBio();
        check(i2d_CMS_bio(out.get(), envelope.get()) == 1, "i2d_CMS_bio(envelope)");
        return bioBytes(out.get());
    });
}

EnvelopeOpener::EnvelopeOpener(const std::filesystem::path& recipientCert,
    const std::filesystem::path& recipientKey, const std::filesystem::path& signerCa)
    : recipientCert_(openssl::readCertificate(recipientCert))
    , recipientKey_(openssl::readPrivateKey(recipientKey))
    , signerCa_(openssl::readTrustStore(signerCa))
{ }

OpenedEnvelope EnvelopeOpener::open(std::span<const unsigned char> envelope) const
{
    return sealStep([&] {
        using namespace openssl;
        clearErrors();

        auto in = memoryBio(envelope);
        CmsPtr outer(check(d2i_CMS_bio(in.get(), nullptr), "not a CMS structure"));
        check(OBJ_obj2nid(CMS_get0_type(outer.get())) == NID_id_smime_ct_authEnvelopedData,
            "not AuthEnvelopedData");
        auto signedDer = memoryBio();
        check(CMS_decrypt(outer.get(), recipientKey_.get(), recipientCert_.get(), nullptr,
                  signedDer.get(), CMS_BINARY)
                == 1,
            "cannot decrypt");

        CmsPtr inner(check(d2i_CMS_bio(signedDer.get(), nullptr), "inner is not CMS"));
        check(
            OBJ_obj2nid(CMS_get0_type(inner.get())) == NID_pkcs7_signed, "inner is not SignedData");
        auto content = memoryBio();
        // The signer's certificate comes from the SignedData; it must chain to the kiosk CA
        // (purpose smime_sign).
        check(CMS_verify(inner.get(), nullptr, signerCa_.get(), nullptr, content.get(), CMS_BINARY)
                == 1,
            "signature does not verify");

        OpenedEnvelope opened;
        opened.content = bioBytes(content.get());
        STACK_OF(X509)* signers = check(CMS_get0_signers(inner.get()), "CMS_get0_signers");
        for (int i = 0; i < sk_X509_num(signers); ++i)
            opened.signerCommonNames.push_back(commonName(sk_X509_value(signers, i)));
        sk_X509_free(signers);
        return opened;
    });
}

} // namespace shensu::network
