// The kiosk side of a test or benchmark: a forwarder config for the test PKI
// (scripts/make-test-pki) and a central on 127.0.0.1. Header-only, so a program that links only
// shensu_network (the kill test's forwarder_driver) can use it too.
#pragma once

#include <network/forwarder.hpp>

#include <filesystem>
#include <string>

namespace shensu::testing
{

// Kiosk KIOSK-TEST-01 with pki's device certificate `device` (.pem/.key), central's CA,
// encryption and receipt certificates, and https://central.shensu.test:port resolved to
// 127.0.0.1. Outbox, retry delays and the rest stay at their defaults.
inline network::ForwarderConfig kioskForwarderConfig(
    const std::filesystem::path& pki, int port, const std::string& device = "kiosk-device")
{
    network::ForwarderConfig c;
    c.centralUrl = "https://central.shensu.test:" + std::to_string(port);
    c.centralResolve = "central.shensu.test:" + std::to_string(port) + ":127.0.0.1";
    c.centralCaCert = pki / "central-ca.pem";
    c.clientCert = pki / (device + ".pem");
    c.clientKey = pki / (device + ".key");
    c.encryptionCert = pki / "central-encryption.pem";
    c.receiptCert = pki / "central-receipt.pem";
    c.kioskId = "KIOSK-TEST-01";
    return c;
}

} // namespace shensu::testing
