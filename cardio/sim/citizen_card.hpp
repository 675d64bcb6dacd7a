// The simulated citizen card: PIV (NIST SP 800-73-4), PIN 123456, one RSA-2048 key (9A) and its
// certificate, a try counter that survives resets. Kinds: citizen, citizen-1try, citizen-blocked,
// citizen-corrupt, and one per refused certificate of the test PKI (cards.cpp).
#pragma once

#include "citizen_pki.hpp"
#include "sim_card.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace shensu::cardsim
{

class CitizenCard : public SimCard
{
public:
    // credentials: the stem of its key and certificate in the test PKI (citizenCredentials()).
    // corruptCertificate: the certificate object carries the certificate with its to-be-signed
    // part overwritten, so that neither OpenSC nor OpenSSL can parse it.
    explicit CitizenCard(std::uint8_t triesLeft, const std::string& credentials = "citizen",
        bool corruptCertificate = false);

    Bytes atr() const override;
    std::optional<Bytes> answer(const Bytes& command) override;
    void reset() override; // selection and login are lost; the try counter stays
    // VERIFY entries carry ,"ins":"VERIFY","spending":true|false (a PIN was
    // compared),"withPin":true|false (the command carried a PIN at all, even one a blocked card
    // never compared) and the PIN masked.
    LogEntry logEntry(const Bytes& command) const override;

private:
    Bytes select(std::uint8_t p1, const Bytes& aid);
    Bytes getData(std::uint8_t p1, std::uint8_t p2, const Bytes& data, std::size_t le);
    Bytes verify(std::uint8_t p1, std::uint8_t p2, const Bytes& data);
    Bytes generalAuthenticate(std::size_t le);
    Bytes getResponse(std::size_t le);
    // object || 9000, or its first Le bytes || 61xx with the rest kept for GET RESPONSE.
    Bytes withSw(const Bytes& object, std::size_t le);

    std::shared_ptr<const CitizenCredentials> credentials_;
    Bytes certificate_; // what the certificate object 5FC105 carries
    std::uint8_t triesLeft_;
    bool selected_ = false;
    bool verified_ = false;
    Bytes pending_; // what GET RESPONSE hands out next
    Bytes chain_; // GENERAL AUTHENTICATE data gathered from chained commands
    bool lastWasVerify_ = false;
    bool spent_ = false;
    std::uint8_t serialTail_ = 0x80; // the token serial's last byte: one per credentials name
    bool withPin_ = false; // the last VERIFY carried data (a PIN), whatever the card did with it
};

} // namespace shensu::cardsim
