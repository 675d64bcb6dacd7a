// A kiosk stand-in for the kill test: stores filings `from`..`to`-1 through a Forwarder (marker =
// the filing's number), printing "stored N" after each store() returns, then waits until central
// has answered for everything and prints "drained". Killed with SIGKILL at random points by
// fault_test.cpp.
#include <network/forwarder.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char** argv)
{
    if (argc != 6) {
        std::cerr << "usage: forwarder_driver OUTBOX PORT PKIDIR FROM TO\n";
        return 2;
    }
    const std::filesystem::path pki = argv[3];
    const std::string port = argv[2];
    shensu::network::ForwarderConfig c;
    c.outboxPath = argv[1];
    c.centralUrl = "https://central.shensu.test:" + port;
    c.centralResolve = "central.shensu.test:" + port + ":127.0.0.1";
    c.centralCaCert = pki / "central-ca.pem";
    c.clientCert = pki / "kiosk-device.pem";
    c.clientKey = pki / "kiosk-device.key";
    c.encryptionCert = pki / "central-encryption.pem";
    c.receiptCert = pki / "central-receipt.pem";
    c.kioskId = "KIOSK-TEST-01";
    c.firstRetryDelay = std::chrono::milliseconds(50);
    c.maxRetryDelay = std::chrono::milliseconds(200);
    c.parallelPosts = 3; // kills also land between concurrent posts
    shensu::network::Forwarder forwarder(c, nullptr);
    const int from = std::stoi(argv[4]), to = std::stoi(argv[5]);
    for (int i = from; i < to; ++i) {
        forwarder.store({ { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } },
            { "answers",
                { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
                    { "facts", "測試用的申訴內容 #" + std::to_string(i) } } },
            { "filer", "anonymous" }, { "kioskId", "KIOSK-TEST-01" } });
        std::cout << "stored " << i << std::endl;
    }
    while (forwarder.pendingCount() > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::cout << "drained" << std::endl;
    return 0;
}
