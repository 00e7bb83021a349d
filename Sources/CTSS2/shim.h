#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

// Expression macros (casts) that Swift cannot import, as constants it can.
static const TPM2_ALG_ID OMS_TPM2_ALG_SHA256 = TPM2_ALG_SHA256;
static const ESYS_TR OMS_ESYS_TR_NONE = ESYS_TR_NONE;
static const ESYS_TR OMS_ESYS_TR_PASSWORD = ESYS_TR_PASSWORD;
static const ESYS_TR OMS_ESYS_TR_PCR0 = ESYS_TR_PCR0;
static const TSS2_RC OMS_TSS2_RC_SUCCESS = TSS2_RC_SUCCESS;
static const ESYS_TR OMS_ESYS_TR_RH_OWNER = ESYS_TR_RH_OWNER;
static const ESYS_TR OMS_ESYS_TR_RH_ENDORSEMENT = ESYS_TR_RH_ENDORSEMENT;
static const TPM2_ALG_ID OMS_TPM2_ALG_NULL = TPM2_ALG_NULL;
static const TPM2_SE OMS_TPM2_SE_POLICY = TPM2_SE_POLICY;
