// The S3 client and store against s3rver on loopback: objects with user metadata, HEAD/GET/PUT/
// DELETE, ListObjectsV2 paging, the chunk store through open_store, clear errors for a wrong key
// (403) and a bad spec; every request's signature re-verified by botocore.
#include "chunkbench/s3_store.hpp"

#include <gtest/gtest.h>

#include <set>

#include "chunkbench/error.hpp"
#include "chunkbench/store_factory.hpp"
#include "s3rver_fixture.hpp"

namespace chunkbench {
namespace {

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

class S3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::S3rver::available()) GTEST_SKIP() << "s3rver is not installed in tools/ (run scripts/setup.sh)";
    server_ = std::make_unique<test::S3rver>(std::vector<std::string>{"kde-linux"});
  }
  std::shared_ptr<s3::Client> client(const std::string& path = "kde-linux/") {
    HttpOptions http;
    http.retries = 1;
    return std::make_shared<s3::Client>(s3::Endpoint::parse(server_->spec(path)), log_.options(),
                                        std::make_shared<BatchFetcher>(http, nullptr));
  }
  std::unique_ptr<test::S3rver> server_;
  test::SignatureLog log_;
};

TEST_F(S3Test, ObjectsMetadataAndPaging) {
  auto c = client();
  const auto body = bytes("hello, bucket");
  c->put("testing/sysupdate/v2/kde-linux_1.efi", body, {{"x-kde-sha256", s3::sha256_hex(body)}});
  auto info = c->head("testing/sysupdate/v2/kde-linux_1.efi");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, body.size());
  EXPECT_EQ(info->metadata["x-kde-sha256"], s3::sha256_hex(body));
  EXPECT_GT(info->last_modified, 1700000000);
  EXPECT_EQ(c->get("testing/sysupdate/v2/kde-linux_1.efi"), body);
  EXPECT_FALSE(c->get("absent"));
  EXPECT_FALSE(c->head("absent"));
  c->put("a key with spaces+plus&amp", bytes("x"));
  EXPECT_EQ(c->get("a key with spaces+plus&amp"), bytes("x"));

  std::vector<std::vector<std::uint8_t>> bodies;
  std::vector<s3::PutItem> items;
  for (int i = 0; i < 23; ++i) bodies.push_back(bytes("object " + std::to_string(i)));
  for (int i = 0; i < 23; ++i) items.push_back({"many/" + std::to_string(100 + i), bodies[static_cast<std::size_t>(i)], {}});
  c->put_many(items);
  std::vector<std::string> keys;
  c->list("many/", [&](const s3::ListedObject& o) { keys.push_back(o.key); }, "", {}, 5);  // 5 pages
  EXPECT_EQ(keys.size(), 23u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 23u);
  // s3rver reports a common prefix only for keys one level below it; an edition root always has
  // direct objects (SHA256SUMS, the image), which is what vacuum and prune list.
  c->put("testing/SHA256SUMS", bytes("x"));
  std::vector<std::string> dirs;
  c->list("", [](const s3::ListedObject&) {}, "/", [&](const std::string& p) { dirs.push_back(p); });
  EXPECT_EQ(dirs, (std::vector<std::string>{"many/", "testing/"}));

  c->remove_many(keys);
  c->remove("absent");  // deleting what is not there is no error
  keys.clear();
  c->list("many/", [&](const s3::ListedObject& o) { keys.push_back(o.key); });
  EXPECT_TRUE(keys.empty());
  log_.check();
}

TEST_F(S3Test, ChunkStoreThroughTheFactory) {
  StoreOptions so;
  so.s3 = s3::ResolvedCredentials{{test::SignatureLog::kKey, test::SignatureLog::kSecret, ""}, "us-east-1", "test"};
  so.s3_on_request = log_.options().on_request;
  auto store = std::dynamic_pointer_cast<S3Store>(open_store(server_->spec("kde-linux/sysupdate/store"), so));
  ASSERT_TRUE(store);
  std::vector<ChunkId> ids;
  std::vector<ChunkData> data;
  Hasher h(DigestKind::sha512_256);
  for (int i = 0; i < 40; ++i) {
    auto raw = test::random_data(1000 + static_cast<std::size_t>(i), static_cast<std::uint64_t>(i));
    ids.push_back(h.digest(raw));
    data.push_back({raw, true});  // stored as given; the store does not decode
  }
  std::vector<WriteStore::Item> items;
  for (std::size_t i = 0; i < 30; ++i) items.push_back({&ids[i], &data[i]});
  store->put_batch(items);
  auto has = store->has_batch(ids);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(has[i], i < 30) << i;
  EXPECT_EQ(store->get(ids[3])->bytes, data[3].bytes);
  EXPECT_FALSE(store->get(ids[35]));
  EXPECT_EQ(store->key_of(ids[0]), "sysupdate/store/" + ids[0].hex().substr(0, 4) + "/" + ids[0].hex() + ".cacnk");

  std::set<ChunkId> listed;
  store->list([&](const StoredChunk& c) {
    listed.insert(c.id);
    EXPECT_GT(c.mtime, 1700000000);
  });
  EXPECT_EQ(listed.size(), 30u);
  store->remove(ids[0]);
  EXPECT_FALSE(store->has(ids[0]));
  log_.check();
}

TEST_F(S3Test, ClearErrors) {
  // s3rver checks the access key id only (SigV4 itself is checked by botocore in every test).
  s3::ClientOptions wrong = log_.options();
  wrong.credentials.access_key_id = "UNKNOWNKEY";
  wrong.credentials.secret_access_key = "not-the-secret";
  s3::Client c(s3::Endpoint::parse(server_->spec("kde-linux/")), wrong, std::make_shared<BatchFetcher>(HttpOptions{}, nullptr));
  try {
    c.put("x", bytes("y"));
    FAIL() << "an unknown access key was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("PUT http://" + server_->host() + "/kde-linux/x: HTTP 403"), std::string::npos) << m;
    EXPECT_NE(m.find("InvalidAccessKeyId"), std::string::npos) << m;
    EXPECT_EQ(m.find("not-the-secret"), std::string::npos) << "secret in a message: " << m;
  }
  auto missing = client("no-such-bucket/");
  EXPECT_THROW(missing->list("", [](const s3::ListedObject&) {}), Error) << "listing of a missing bucket";
  EXPECT_THROW(s3::Endpoint::parse("s3+https://host"), Error);
  EXPECT_THROW(s3::Endpoint::parse("s3+https://user:pw@host/b"), Error);
  EXPECT_THROW(s3::Endpoint::parse("s3://host/b"), Error);
  auto e = s3::Endpoint::parse("s3+https://storage.kde.org/kde-linux/sysupdate/store");
  EXPECT_EQ(e.bucket, "kde-linux");
  EXPECT_EQ(e.prefix, "sysupdate/store/");
  EXPECT_EQ(e.url("a b"), "https://storage.kde.org/kde-linux/a%20b");
}

}  // namespace
}  // namespace chunkbench
