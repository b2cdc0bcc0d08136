// ListObjectsV2 pages and S3 error bodies: parsed fully or refused, never half-read.
#include "chunkbench/s3_xml.hpp"

#include <gtest/gtest.h>

#include "chunkbench/error.hpp"

namespace chunkbench::s3 {
namespace {

TEST(S3Xml, ListPage) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>kde-linux</Name><Prefix>sysupdate/store/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</NextContinuationToken>
  <Contents><Key>sysupdate/store/00ab/a&amp;b.cacnk</Key><LastModified>2026-12-03T17:10:16.000Z</LastModified>
    <ETag>&quot;abc&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>sysupdate/store/00ac/x.cacnk</Key><LastModified>1970-01-02T00:00:00Z</LastModified><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>testing/</Prefix></CommonPrefixes>
</ListBucketResult>)";
  auto p = parse_list_page(xml, "http://h/b?list-type=2");
  ASSERT_EQ(p.objects.size(), 2u);
  EXPECT_EQ(p.objects[0].key, "sysupdate/store/00ab/a&b.cacnk");
  EXPECT_EQ(p.objects[0].size, 1234u);
  EXPECT_EQ(p.objects[0].etag, "\"abc\"");
  EXPECT_EQ(p.objects[0].last_modified, 1796317816);
  EXPECT_EQ(p.objects[1].last_modified, 86400);
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.next_continuation_token, "tok+/=");
  EXPECT_EQ(p.common_prefixes, std::vector<std::string>{"testing/"});
}

TEST(S3Xml, RefusesBrokenPages) {
  EXPECT_THROW(parse_list_page("<ListBucketResult><Contents><Key>a</Key>", "u"), Error);
  EXPECT_THROW(parse_list_page("<html>proxy error</html>", "u"), Error);
  EXPECT_THROW(parse_list_page("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "u"), Error);
  EXPECT_THROW(parse_list_page("<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></ListBucketResult>", "u"),
               Error);
  try {
    parse_list_page("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>", "http://h/b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://h/b"), std::string::npos);
  }
}

TEST(S3Xml, ErrorBody) {
  auto e = parse_error_body("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.message, "Access Denied");
  EXPECT_TRUE(parse_error_body("<html>").code.empty());
}

}  // namespace
}  // namespace chunkbench::s3
