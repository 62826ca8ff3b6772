import { AccountRequest } from '../../modules/auth/account-request.entity.js';
import { Session } from '../../modules/auth/session.entity.js';
import { User } from '../../modules/auth/user.entity.js';
import { UserToken } from '../../modules/auth/user-token.entity.js';
import { AuditEvent } from '../../modules/audit/audit-event.entity.js';
import { DicomInstance, DicomSeries, DicomStudy } from '../../modules/dicomweb/dicom-index.entity.js';
import { Document, Exam, ExamAccess } from '../../modules/exam/exam.entity.js';
import { ApiKey, Facility } from '../../modules/facility/facility.entity.js';
import { Notification } from '../../modules/notification/notification.entity.js';
import { AdministrativeRecord, Patient } from '../../modules/patient/patient.entity.js';
import { Share, ShareAccess } from '../../modules/share/share.entity.js';
import { OutboxMessage } from '../mail/outbox-message.entity.js';

/** Every entity, listed explicitly so the same list works from src/ (tests) and dist/. */
export const entities = [
  User, Session, UserToken, AccountRequest, AuditEvent,
  Facility, ApiKey, Patient, AdministrativeRecord,
  Exam, ExamAccess, Document,
  DicomStudy, DicomSeries, DicomInstance,
  Notification, Share, ShareAccess, OutboxMessage,
];
