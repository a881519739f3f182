#pragma once

// A GoogleTest fixture for client subcommand tests: a FakeApi, an
// HttpClient pointed at it, and string streams to read the output from.

#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include "client/api_call.h"
#include "client/http_client.h"
#include "client/testing/fake_api.h"

namespace allot::testing {

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(api_.url(), Seconds(2));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    http_ = std::move(client).value();
  }
  ClientContext Context(OutputFormat output = OutputFormat::kTable) {
    return ClientContext{*http_, output, out_, err_};
  }
  // The JSON body of the index-th request received.
  Json RequestJson(size_t index) const {
    std::vector<FakeRequest> requests = api_.requests();
    if (index >= requests.size()) return Json();
    return Json::parse(requests[index].body, nullptr, false);
  }

  FakeApi api_;
  std::unique_ptr<HttpClient> http_;  // after api_: closed before the server stops
  std::ostringstream out_;
  std::ostringstream err_;
};

}  // namespace allot::testing
