# AWS SAM targets. Included by the main Makefile; usable alone with `make -f infra/sam.mk <target>`.
# Every variable uses ?= so the including Makefile (or the command line) can override it.

SAM_PYTHON_DIR ?= /root/.pyenv/versions/3.12.1/bin
# The interpreter that creates .venv-sam: pyenv's 3.12 when present, else python3.12, else python3.
SAM_BOOTSTRAP_PYTHON ?= $(firstword $(wildcard $(SAM_PYTHON_DIR)/python3.12) \
                          $(shell command -v python3.12 2>/dev/null) $(shell command -v python3 2>/dev/null))
# The interpreter that matches the Lambda runtime (python3.12), used to compile the layer's .pyc.
PYTHON312 ?= $(firstword $(wildcard $(SAM_PYTHON_DIR)/python3.12) $(shell command -v python3.12 2>/dev/null))

SAM_VENV ?= .venv-sam
SAM ?= $(SAM_VENV)/bin/sam
SAM_CLI_SPEC ?= aws-sam-cli
CFN_LINT ?= .venv/bin/cfn-lint
SAM_TEMPLATE ?= infra/template.yaml
SAM_BUILD_DIR ?= .aws-sam/build
SAM_TRANSFORMED ?= .aws-sam/transformed-template.json
OCOP_TEMPLATE_TOOL ?= infra/local/ocop_local/template.py
SAM_REGION ?= ap-southeast-1

# Nothing here calls AWS and no credentials are needed (checked with sam 1.170): plain
# `sam validate` refuses to run without a region, `--lint` and `build` do not care.
SAM_ENV ?= SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-$(SAM_REGION)}

.PHONY: sam-venv lint-template build

sam-venv: $(SAM)

$(SAM):
	@test -n "$(SAM_BOOTSTRAP_PYTHON)" || { echo "no python3.12/python3 to create $(SAM_VENV)" >&2; exit 1; }
	$(SAM_BOOTSTRAP_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet "$(SAM_CLI_SPEC)"
	@touch $@

lint-template: $(SAM)
	$(CFN_LINT) $(SAM_TEMPLATE)
	$(SAM_ENV) $(SAM) validate --lint --template $(SAM_TEMPLATE) --region $(SAM_REGION)
	@# cfn-lint and `sam validate --lint` check the SAM source; a circular dependency through
	@# the generated API (a function whose environment refers to HttpApi) only shows after
	@# the transform, so lint what CloudFormation would receive as well.
	@mkdir -p $(dir $(SAM_TRANSFORMED))
	$(SAM_ENV) $(SAM_VENV)/bin/python $(OCOP_TEMPLATE_TOOL) sam-transform $(SAM_TEMPLATE) > $(SAM_TRANSFORMED)
	$(CFN_LINT) $(SAM_TRANSFORMED)

build: $(SAM)
	@test -n "$(PYTHON312)" || { echo "sam build needs python3.12 on PATH" >&2; exit 1; }
	PATH="$(dir $(PYTHON312)):$$PATH" $(SAM_ENV) $(SAM) build --template $(SAM_TEMPLATE) \
		--build-dir $(SAM_BUILD_DIR) --region $(SAM_REGION)
	$(PYTHON312) -m compileall -q -j 0 $(SAM_BUILD_DIR)/DomainLayer/python $(SAM_BUILD_DIR)/PrintLayer/python
