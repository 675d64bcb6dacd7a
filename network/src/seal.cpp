// CMS sealing (sign, then AuthEnvelopedData AES-256-GCM to central) and the matching open for
// central.
#include <network/seal.hpp>

#include <climits>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

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

    using AttributesPtr
        = std::unique_ptr<STACK_OF(X509_ATTRIBUTE), decltype([](STACK_OF(X509_ATTRIBUTE) * s) {
              sk_X509_ATTRIBUTE_pop_free(s, X509_ATTRIBUTE_free);
          })>;
    using TimePtr = std::unique_ptr<ASN1_TIME, openssl::Deleter<ASN1_TIME_free>>;

    // DER of a SET OF Attribute as CMS signs it (sorted; PKCS7_ATTR_SIGN is the same template as
    // CMS's private CMS_Attributes_Sign).
    Bytes attributesDer(const STACK_OF(X509_ATTRIBUTE) * attributes)
    {
        unsigned char* der = nullptr;
        const int len = ASN1_item_i2d(
            reinterpret_cast<ASN1_VALUE*>(const_cast<STACK_OF(X509_ATTRIBUTE)*>(attributes)), &der,
            ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
        openssl::check(len > 0 && der, "encoding signed attributes");
        Bytes out(der, der + len);
        OPENSSL_free(der);
        return out;
    }

    // The card's SignerInfo, assembled by hand (ARCHITECTURE §10: CMS_PARTIAL, signed attributes
    // encoded with PKCS7_ATTR_SIGN, the signature from outside OpenSSL). The SignedData must
    // already hold its content.
    void addCardSigner(CMS_ContentInfo* signedData, std::span<const unsigned char> content,
        const CardSigner& cardSigner)
    {
        using namespace openssl;
        // 1. The signed attributes, before we know the certificate (one card call gives both).
        const Bytes digest = sha256(content);
        TimePtr now(check(X509_gmtime_adj(nullptr, 0), "X509_gmtime_adj"));
        STACK_OF(X509_ATTRIBUTE)* raw = nullptr;
        AttributesPtr attributes;
        auto add = [&](int nid, int type, const void* value, int len) {
            check(X509at_add1_attr_by_NID(
                      &raw, nid, type, static_cast<const unsigned char*>(value), len)
                    != nullptr,
                "adding a signed attribute");
            if (!attributes) attributes.reset(raw);
        };
        add(NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1);
        add(NID_pkcs9_signingTime, now->type, now.get(), -1);
        add(NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest.data(),
            static_cast<int>(digest.size()));
        const Bytes toBeSigned = attributesDer(attributes.get());

        // 2. The card signs (its exceptions pass through untouched).
        const CardSignature signed_ = cardSigner(toBeSigned);
        clearErrors();

        // 3. The SignerInfo for the card's certificate, carrying exactly those attributes.
        const unsigned char* p = signed_.certificate.data();
        X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(signed_.certificate.size())));
        check(certificate && p == signed_.certificate.data() + signed_.certificate.size(),
            "the card's certificate is not DER X.509");
        EVP_PKEY* publicKey = check(X509_get0_pubkey(certificate.get()), "card certificate key");
        check(EVP_PKEY_get_base_id(publicKey) == EVP_PKEY_RSA, "the card's key is not RSA");
        // Only the public key: CMS_PARTIAL keeps OpenSSL from signing (or adding attributes).
        CMS_SignerInfo* si = check(CMS_add1_signer(signedData, certificate.get(), publicKey,
                                       EVP_sha256(), CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP),
            "CMS_add1_signer(card)");
        for (int i = 0; i < sk_X509_ATTRIBUTE_num(attributes.get()); ++i)
            check(CMS_signed_add1_attr(si, sk_X509_ATTRIBUTE_value(attributes.get(), i)) == 1,
                "CMS_signed_add1_attr");
        STACK_OF(X509_ATTRIBUTE)* copy = nullptr;
        AttributesPtr copied;
        for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
            check(
                X509at_add1_attr(&copy, CMS_signed_get_attr(si, i)) != nullptr, "X509at_add1_attr");
            if (!copied) copied.reset(copy);
        }
        check(copied && attributesDer(copied.get()) == toBeSigned,
            "the card's SignerInfo would not carry the attributes the card signed");
        check(!signed_.signature.empty()
                && ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), signed_.signature.data(),
                       static_cast<int>(signed_.signature.size()))
                    == 1,
            "the card's signature");
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

Bytes Sealer::seal(std::span<const unsigned char> content, const CardSigner& cardSigner) const
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

        // 1b. The card's SignerInfo beside the device key's (the device's is complete: adding a
        // signer changes nothing it signed). Then every signature is checked on the DER form (an
        // in-memory verify of a hand-built SignerInfo fails: its attributes are not yet sorted).
        if (cardSigner) {
            addCardSigner(signedData.get(), content, cardSigner);
            signedDer = memoryBio();
            check(i2d_CMS_bio(signedDer.get(), signedData.get()) == 1, "i2d_CMS_bio(signed)");
            const Bytes der = bioBytes(signedDer.get());
            auto reread = memoryBio(der);
            CmsPtr parsed(check(d2i_CMS_bio(reread.get(), nullptr), "d2i_CMS_bio(signed)"));
            auto check_content = memoryBio();
            check(CMS_verify(parsed.get(), nullptr, nullptr, nullptr, check_content.get(),
                      CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)
                    == 1,
                "the card's signature does not verify under its certificate");
            signedDer = memoryBio();
            check(BIO_write(signedDer.get(), der.data(), static_cast<int>(der.size()))
                    == static_cast<int>(der.size()),
                "BIO_write");
        }

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

OpenedEnvelope::OpenedEnvelope(OpenedEnvelope&& other) noexcept
    : content(std::move(other.content))
    , signerCommonNames(std::move(other.signerCommonNames))
    , otherSignerCertificates(std::move(other.otherSignerCertificates))
{
    other.content.clear(); // empty already (a moved-from vector's buffer is ours): made sure
}

OpenedEnvelope& OpenedEnvelope::operator=(OpenedEnvelope&& other) noexcept
{
    if (this != &other) {
        wipe(); // the buffer about to be let go
        content = std::move(other.content);
        other.content.clear();
        signerCommonNames = std::move(other.signerCommonNames);
        otherSignerCertificates = std::move(other.otherSignerCertificates);
    }
    return *this;
}

void OpenedEnvelope::wipe() noexcept
{
    if (!content.empty()) OPENSSL_cleanse(content.data(), content.size());
}

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
        // Every SignerInfo's signature over the content (certificates from the SignedData); the
        // chains are judged below, one signer at a time: a kiosk's to the kiosk CA here, a card's
        // by the caller against its own anchor.
        check(CMS_verify(inner.get(), nullptr, nullptr, nullptr, content.get(),
                  CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)
                == 1,
            "signature does not verify");

        OpenedEnvelope opened;
        opened.content = bioBytes(content.get());
        std::unique_ptr<STACK_OF(X509), decltype([](STACK_OF(X509) * s) { sk_X509_free(s); })>
            signers(check(CMS_get0_signers(inner.get()), "CMS_get0_signers"));
        STACK_OF(X509)* chain = CMS_get1_certs(inner.get());
        std::unique_ptr<STACK_OF(X509),
            decltype([](STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); })>
            untrusted(chain);
        for (int i = 0; i < sk_X509_num(signers.get()); ++i) {
            X509* signer = sk_X509_value(signers.get(), i);
            std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>> ctx(
                check(X509_STORE_CTX_new(), "X509_STORE_CTX_new"));
            check(X509_STORE_CTX_init(ctx.get(), signerCa_.get(), signer, untrusted.get()) == 1,
                "X509_STORE_CTX_init");
            check(X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_SIGN) == 1,
                "X509_STORE_CTX_set_purpose");
            if (X509_verify_cert(ctx.get()) == 1) {
                opened.signerCommonNames.push_back(commonName(signer));
                continue;
            }
            clearErrors();
            unsigned char* der = nullptr;
            const int len = i2d_X509(signer, &der);
            check(len > 0 && der, "i2d_X509");
            opened.otherSignerCertificates.emplace_back(der, der + len);
            OPENSSL_free(der);
        }
        if (opened.signerCommonNames.empty()) throw SealError("no signer chains to the kiosk CA");
        return opened;
    });
}

} // namespace shensu::network
