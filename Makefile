# `sam build` runs these (template.yaml: Metadata BuildMethod makefile), one target per
# function, `make build-<LogicalId>` with ARTIFACTS_DIR set, in the repository (samconfig:
# build_in_source, so ./target is reused and not copied). Each function is built as its
# own package (-p), so it links only the features its Cargo.toml asks for: SAM's
# rust-cargolambda method runs `cargo lambda build --bin <name>` at the workspace root,
# where Cargo unifies the features of every member (infra's SQLite, SSO, the sanitizer...)
# into every function. Same toolchain otherwise: cargo-lambda with zig, --arm64, release.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
CARGO_LAMBDA := cargo lambda build --release --arm64

define function
build-$(1):
	$(CARGO_LAMBDA) -p $(2)
	cp "$(TARGET_DIR)/lambda/$(2)/bootstrap" "$$(ARTIFACTS_DIR)/bootstrap"
endef

$(eval $(call function,SiteFunction,site))
$(eval $(call function,SubscribeFunction,subscribe))
$(eval $(call function,CommentFunction,comment))
$(eval $(call function,FeedsFunction,feeds))
$(eval $(call function,NewsletterFunction,newsletter))
$(eval $(call function,ImagesFunction,images))

.PHONY: build-SiteFunction build-SubscribeFunction build-CommentFunction build-FeedsFunction build-NewsletterFunction build-ImagesFunction
