// Receipts sealed at rest (see at_rest.hpp).
#include "at_rest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace shensu::central
{

namespace ossl = network::openssl;
using network::Bytes;

namespace
{
    constexpr std::size_t NONCE_BYTES = 12;
    constexpr std::size_t TAG_BYTES = 16;

    using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, ossl::Deleter<EVP_CIPHER_CTX_free>>;

    std::span<const unsigned char> bytesOf(const std::string& s)
    {
        return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
    }
} // namespace

Bytes sealAtRest(const Bytes& key, const std::string& plain, const std::string& aad)
{
    ossl::clearErrors();
    Bytes out = ossl::randomBytes(NONCE_BYTES);
    CipherCtxPtr ctx(ossl::check(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
    ossl::check(
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), out.data()) == 1,
        "EVP_EncryptInit_ex");
    int len = 0;
    ossl::check(EVP_EncryptUpdate(
                    ctx.get(), nullptr, &len, bytesOf(aad).data(), static_cast<int>(aad.size()))
            == 1,
        "GCM aad");
    out.resize(NONCE_BYTES + plain.size() + TAG_BYTES);
    ossl::check(EVP_EncryptUpdate(ctx.get(), out.data() + NONCE_BYTES, &len, bytesOf(plain).data(),
                    static_cast<int>(plain.size()))
            == 1,
        "GCM encrypt");
    int tail = 0;
    ossl::check(
        EVP_EncryptFinal_ex(ctx.get(), out.data() + NONCE_BYTES + len, &tail) == 1, "GCM final");
    ossl::check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TAG_BYTES,
                    out.data() + NONCE_BYTES + plain.size())
            == 1,
        "GCM tag");
    return out;
}

std::string openAtRest(const Bytes& key, const Bytes& sealed, const std::string& aad)
{
    ossl::clearErrors();
    if (sealed.size() < NONCE_BYTES + TAG_BYTES)
        throw network::OpenSslError("stored receipt too short");
    const std::size_t size = sealed.size() - NONCE_BYTES - TAG_BYTES;
    CipherCtxPtr ctx(ossl::check(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
    ossl::check(
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), sealed.data()) == 1,
        "EVP_DecryptInit_ex");
    int len = 0;
    ossl::check(EVP_DecryptUpdate(
                    ctx.get(), nullptr, &len, bytesOf(aad).data(), static_cast<int>(aad.size()))
            == 1,
        "GCM aad");
    std::string plain(size, '\0');
    ossl::check(EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                    sealed.data() + NONCE_BYTES, static_cast<int>(size))
            == 1,
        "GCM decrypt");
    Bytes tag(sealed.end() - TAG_BYTES, sealed.end());
    ossl::check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag.data()) == 1,
        "GCM tag");
    int tail = 0;
    ossl::check(EVP_DecryptFinal_ex(ctx.get(), nullptr, &tail) == 1,
        "stored receipt does not decrypt (another central secret?)");
    return plain;
}

std::string openStoredAnswer(const ReceiptSigning& signing, const Bytes& sealed,
    const std::string& idempotencyKey, std::optional<Bytes>& resealed)
{
    resealed.reset();
    try {
        return openAtRest(signing.atRestKey, sealed, idempotencyKey);
    } catch (const network::OpenSslError&) { }
    for (const auto& older : signing.olderAtRestKeys) {
        try {
            std::string body = openAtRest(older, sealed, idempotencyKey);
            resealed = sealAtRest(signing.atRestKey, body, idempotencyKey);
            return body;
        } catch (const network::OpenSslError&) { }
    }
    throw network::OpenSslError("the stored answer for a replayed submission opens under no known "
                                "key: start central with --previous-encryption-key "
                                "(central/README.md)");
}

void cleanseAtRestKeys(ReceiptSigning& signing)
{
    OPENSSL_cleanse(signing.atRestKey.data(), signing.atRestKey.size());
    for (auto& key : signing.olderAtRestKeys)
        OPENSSL_cleanse(key.data(), key.size());
}

} // namespace shensu::central
